// Command benchcheck fails when a benchmark's figures depend on how long it
// ran: it compares two runs of the suite at benchtimes about 10× apart
// (make bench-check makes them) and exits 1 when a figure's median moved by
// more than the threshold, unless the figure is declared amortised (see
// exemptions.go, and the README's table, which -exemptions prints).
//
//	benchcheck [-threshold 0.2] [-v] [-moved FILE] SHORT.txt LONG.txt
//	benchcheck -exemptions
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("benchcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	threshold := fs.Float64("threshold", 0.20, "largest relative move of a median allowed")
	verbose := fs.Bool("v", false, "list every figure, not only those that moved")
	movedList := fs.String("moved", "", "write the names of the benchmarks with a figure that moved to this file, one a line")
	listExemptions := fs.Bool("exemptions", false, "print the declared amortised figures as a markdown table and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *listExemptions {
		if err := writeExemptions(stdout, exemptions); err != nil {
			fmt.Fprintln(stderr, "benchcheck:", err)
			return 2
		}
		return 0
	}
	if fs.NArg() != 2 || *threshold <= 0 {
		fmt.Fprintln(stderr, "usage: benchcheck [-threshold 0.2] [-v] SHORT.txt LONG.txt (two runs of the suite, benchtimes about 10x apart)")
		return 2
	}
	short, err := readResults(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "benchcheck:", err)
		return 2
	}
	long, err := readResults(fs.Arg(1))
	if err != nil {
		fmt.Fprintln(stderr, "benchcheck:", err)
		return 2
	}
	verdicts := Check(short, long, Options{Threshold: *threshold, Exemptions: exemptions})
	if *movedList != "" {
		if err := os.WriteFile(*movedList, []byte(movedNames(verdicts)), 0o644); err != nil {
			fmt.Fprintln(stderr, "benchcheck:", err)
			return 2
		}
	}
	if err := report(stdout, verdicts, *threshold, *verbose); err != nil {
		fmt.Fprintln(stderr, "benchcheck:", err)
		return 1
	}
	return 0
}

// report prints the counts and the figures that moved (all with verbose);
// it returns errMoved when any figure moved or is missing from one run.
func report(w io.Writer, vs []Verdict, threshold float64, verbose bool) error {
	count := map[string]int{}
	names := map[string]bool{}
	for _, v := range vs {
		count[v.Status]++
		names[v.Name] = true
	}
	fmt.Fprintf(w, "%d figures of %d benchmarks: %d ok, %d moved by more than %.0f %%, %d declared amortised, %d in one run only\n",
		len(vs), len(names), count[StatusOK], count[StatusMoved], threshold*100, count[StatusAmortised], count[StatusMissing])
	var rows [][]string
	for _, v := range vs {
		if verbose || v.Status == StatusMoved || v.Status == StatusMissing {
			unit, scale := v.Unit, 1.0
			if isTime(unit) {
				unit, scale = "ns/"+strings.TrimPrefix(unit, "sec/"), 1e9
			}
			rows = append(rows, []string{v.Status, v.Name, unit, num(v.Short * scale), num(v.Long * scale), pct(v.Change), v.Note})
		}
	}
	if len(rows) > 0 {
		tab := tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithRowAutoWrap(tw.WrapNone))
		tab.Header("status", "benchmark", "unit", "short", "long", "change", "note")
		for _, r := range rows {
			if err := tab.Append(r); err != nil {
				return err
			}
		}
		if err := tab.Render(); err != nil {
			return err
		}
	}
	if count[StatusMoved]+count[StatusMissing] > 0 {
		return errMoved
	}
	return nil
}

// movedNames lists, once each, the benchmarks with a figure that moved or
// is missing from one run.
func movedNames(vs []Verdict) string {
	var b strings.Builder
	seen := map[string]bool{}
	for _, v := range vs {
		if (v.Status == StatusMoved || v.Status == StatusMissing) && !seen[v.Name] {
			seen[v.Name] = true
			b.WriteString(v.Name + "\n")
		}
	}
	return b.String()
}

func num(x float64) string { return fmt.Sprintf("%.4g", x) }

func pct(x float64) string {
	if math.IsInf(x, 0) {
		return "from 0"
	}
	return fmt.Sprintf("%+.1f%%", 100*x)
}

// writeExemptions prints the declared amortised figures for the README.
func writeExemptions(w io.Writer, es []Exemption) error {
	tab := tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithRenderer(renderer.NewMarkdown()))
	tab.Header("benchmarks (regexp)", "units", "why the figure depends on b.N")
	for _, e := range es {
		units := e.Units
		if units == "" {
			units = "all"
		}
		if err := tab.Append([]string{"`" + e.Pattern + "`", strings.ReplaceAll(units, ",", ", "), e.Reason}); err != nil {
			return err
		}
	}
	return tab.Render()
}
