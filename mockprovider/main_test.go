package mockprovider

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func ms(v float64) *Quantity {
	return &Quantity{V: v * float64(time.Millisecond), IsDuration: true, Text: "x"}
}

func num(v float64) *Quantity { return &Quantity{V: v, Text: "x"} }

// constantConfig is a provider whose schedule is known exactly.
func constantConfig(ttft, itl time.Duration, tokens int) Config {
	return Config{
		Seed:         7,
		TTFT:         DistSpec{Dist: "constant", Value: &Quantity{V: float64(ttft), IsDuration: true}},
		ITL:          DistSpec{Dist: "constant", Value: &Quantity{V: float64(itl), IsDuration: true}},
		OutputTokens: DistSpec{Dist: "constant", Value: num(float64(tokens))},
	}
}

func mustNew(t testing.TB, cfg Config, opts ...Option) *Provider {
	t.Helper()
	p, err := New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
