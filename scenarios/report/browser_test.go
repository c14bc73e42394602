package report

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromium finds a Chromium: $LLMBENCH_CHROMIUM, or one on the PATH.
func chromium() string {
	if p := os.Getenv("LLMBENCH_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestReportInChromium opens the report from a file in headless Chromium:
// no console error, no exception, and every chart drawn at a real size.
// .ci/run installs Chromium and sets LLMBENCH_BROWSER_TEST, which turns a
// missing browser into a failure instead of a skip. With
// LLMBENCH_SCREENSHOT=path it also saves the full-page screenshot there.
func TestReportInChromium(t *testing.T) {
	page := filepath.Join(t.TempDir(), "report.html")
	require.NoError(t, WriteFile(page, recorded(t)))
	img, shot := openInChromium(t, page, 10)
	assert.Greater(t, img.Bounds().Dy(), 2000, "a long page of charts")
	if path := os.Getenv("LLMBENCH_SCREENSHOT"); path != "" {
		require.NoError(t, os.WriteFile(path, shot, 0o644))
	}
}

// TestSweepReportInChromium does the same for a sweep's page of capacity
// curves; LLMBENCH_SWEEP_SCREENSHOT=path saves its screenshot (the
// README's picture).
func TestSweepReportInChromium(t *testing.T) {
	page := filepath.Join(t.TempDir(), "report.html")
	require.NoError(t, WriteSweepFile(page, recordedSweep(t)))
	_, shot := openInChromium(t, page, 2)
	if path := os.Getenv("LLMBENCH_SWEEP_SCREENSHOT"); path != "" {
		require.NoError(t, os.WriteFile(path, shot, 0o644))
	}
}

// openInChromium loads page in headless Chromium, requires no console
// error or exception and at least charts charts, each drawn at a real
// size, and returns the full-page screenshot, decoded and as PNG.
func openInChromium(t *testing.T, page string, charts int) (image.Image, []byte) {
	t.Helper()
	exe := chromium()
	if exe == "" {
		if os.Getenv("LLMBENCH_BROWSER_TEST") != "" {
			t.Fatal("LLMBENCH_BROWSER_TEST is set but no Chromium was found (apt-get install chromium)")
		}
		t.Skip("no Chromium on this machine; .ci/run installs one")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	var mu sync.Mutex
	var problems []string
	require.NoError(t, chromedp.Listen(bctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				problems = append(problems, "console."+string(ev.Type))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+ev.ExceptionDetails.Text)
		}
	}))
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate("file://"+page), chromedp.WaitVisible(chromedp.ID("scenario"))))
	sizes, err := chromedp.Run(bctx, chromedp.Evaluate[[][2]float64](
		`Array.from(document.querySelectorAll('.chart svg')).map(s => { const r = s.getBoundingClientRect(); return [r.width, r.height]; })`))
	require.NoError(t, err)
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	mu.Lock()
	assert.Empty(t, problems, "the page logs no error")
	mu.Unlock()
	require.GreaterOrEqual(t, len(sizes), charts, "charts on the page")
	for i, s := range sizes {
		assert.Greater(t, s[0], 300.0, "chart %d width", i)
		assert.Greater(t, s[1], 100.0, "chart %d height", i)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	require.NoError(t, err)
	assert.True(t, drawn(img), "the screenshot is not blank")
	return img, shot
}

// drawn reports whether an image has more than a handful of colours.
func drawn(img image.Image) bool {
	seen := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[(r>>11)<<10|(g>>11)<<5|bl>>11] = true
			if len(seen) > 16 {
				return true
			}
		}
	}
	return false
}
