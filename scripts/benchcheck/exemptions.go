package main

// exemptions are the figures declared amortised: they depend on b.N for a
// reason that belongs to what is measured, not to the harness. Each says
// why. make bench-check does not fail on them; the README lists them
// (benchcheck -exemptions).
var exemptions = []Exemption{}
