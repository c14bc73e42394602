package report

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/llmbench/llmbench/scenarios/results"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testdata/results.json is a recorded run of testdata/scenario.yaml
// (regenerate: go run ./cmd/llmbench run scenarios/report/testdata/scenario.yaml
// --out /tmp/r && cp /tmp/r/results.json scenarios/report/testdata/).
func recorded(t *testing.T) *results.Results {
	t.Helper()
	r, err := results.Read("testdata/results.json")
	require.NoError(t, err)
	return r
}

func render(t *testing.T, r *results.Results) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, r))
	return buf.String()
}

func TestReportHasEverySection(t *testing.T) {
	r := recorded(t)
	html := render(t, r)
	for _, id := range []string{"header", "summary", "spectrum", "over-time", "comparison", "scenario"} {
		assert.Contains(t, html, `id="`+id+`"`, id)
	}
	assert.Equal(t, 4, strings.Count(html, `class="chart spectrum"`), "a spectrum for e2e of successes, of failures (the 429s), TTFT and ITL")
	assert.Contains(t, html, `id="verdict"`)
	assert.Contains(t, html, `id="floor"`)
	// Thresholds read as the console prints them: in the unit written.
	assert.Regexp(t, `<td>ttft.p99 &lt; 1s</td><td>measured [0-9.]+ms \(successful requests\)</td>`, html)
	assert.Regexp(t, `<td>error_rate &lt; 1%</td><td>measured [0-9.]+% \(scheduled requests\)</td>`, html)
	assert.Equal(t, 4, strings.Count(html, `class="chart overtime"`))
	assert.GreaterOrEqual(t, strings.Count(html, `class="chart comparison"`), 3)
	for _, v := range r.Variants {
		assert.Contains(t, html, "<h3>"+v.Name+"</h3>", "a summary per variant")
		// every spectrum names every variant in its legend
		assert.GreaterOrEqual(t, strings.Count(html, ">"+v.Name+"<"), 3, v.Name)
	}
	assert.Contains(t, html, "(uncorrected)")
	assert.Contains(t, html, r.Env.GoVersion)
	assert.Contains(t, html, "threshold")
	assert.Contains(t, html, "warm-up")
	assert.Contains(t, html, "<details>")
	assert.NotContains(t, html, "Partial run")
}

func TestReportIsSelfContained(t *testing.T) {
	html := render(t, recorded(t))
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`<script[^>]*\bsrc=`), regexp.MustCompile(`<link\b`), regexp.MustCompile(`@import`),
		regexp.MustCompile(`url\(\s*['"]?https?:`), regexp.MustCompile(`<img[^>]*\bsrc=['"]?https?:`),
		regexp.MustCompile(`(src|href)=['"]https?:`),
	} {
		assert.NotRegexp(t, bad, html)
	}
}

func TestPartialRunIsMarked(t *testing.T) {
	r := recorded(t)
	r.Partial = true
	html := render(t, r)
	assert.Contains(t, html, `id="partial"`)
	assert.Contains(t, html, "Partial run")
}

func TestHgrmExport(t *testing.T) {
	r := recorded(t)
	dir := t.TempDir()
	files, err := WriteHgrm(dir, r)
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		assert.True(t, strings.HasSuffix(f, ".hgrm"))
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		sc := bufio.NewScanner(bytes.NewReader(data))
		require.True(t, sc.Scan())
		assert.Equal(t, " Value\tPercentile\tTotalCount\t1/(1-Percentile)", sc.Text())
		assert.Contains(t, string(data), "#[Mean")
	}
	_, err = os.Stat(filepath.Join(dir, r.Variants[0].Name+".e2e.hgrm"))
	assert.NoError(t, err, "named after the variant and the histogram")
}

func TestWriteFileIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "report.html")
	require.NoError(t, WriteFile(path, recorded(t)))
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left")
}
