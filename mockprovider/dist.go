package mockprovider

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// Dist is a probability distribution of a non-negative quantity: a latency
// in nanoseconds or a token count. Quantile and CDF are analytic, so tests
// and reports can compare what was sampled with what was configured.
type Dist interface {
	Sample(r *rand.Rand) float64
	Quantile(p float64) float64
	CDF(x float64) float64
	String() string
}

// z99 is the standard normal quantile of 0.99.
const z99 = 2.3263478740408408

// Constant always returns V.
type Constant struct{ V float64 }

func (d Constant) Sample(*rand.Rand) float64 { return d.V }
func (d Constant) Quantile(float64) float64  { return d.V }
func (d Constant) CDF(x float64) float64 {
	if x < d.V {
		return 0
	}
	return 1
}
func (d Constant) String() string { return fmt.Sprintf("constant(%g)", d.V) }

// Uniform is uniform on [Min, Max].
type Uniform struct{ Min, Max float64 }

func (d Uniform) Sample(r *rand.Rand) float64 { return d.Min + r.Float64()*(d.Max-d.Min) }
func (d Uniform) Quantile(p float64) float64  { return d.Min + p*(d.Max-d.Min) }
func (d Uniform) CDF(x float64) float64 {
	if d.Max == d.Min {
		return Constant{d.Min}.CDF(x)
	}
	return math.Min(1, math.Max(0, (x-d.Min)/(d.Max-d.Min)))
}
func (d Uniform) String() string { return fmt.Sprintf("uniform(%g, %g)", d.Min, d.Max) }

// Normal is a normal distribution clamped at 0: negative draws become 0,
// so P(X = 0) = Φ(−Mean/Stddev).
type Normal struct{ Mean, Stddev float64 }

func (d Normal) Sample(r *rand.Rand) float64 { return math.Max(0, d.Mean+d.Stddev*r.NormFloat64()) }
func (d Normal) Quantile(p float64) float64 {
	return math.Max(0, d.Mean+d.Stddev*math.Sqrt2*math.Erfinv(2*p-1))
}
func (d Normal) CDF(x float64) float64 {
	if x < 0 {
		return 0
	}
	return 0.5 * math.Erfc(-(x-d.Mean)/(d.Stddev*math.Sqrt2))
}
func (d Normal) String() string { return fmt.Sprintf("normal(mean %g, stddev %g)", d.Mean, d.Stddev) }

// LogNormal: ln X is normal with Mu and Sigma.
type LogNormal struct{ Mu, Sigma float64 }

// LogNormalFromMedianP99 is the lognormal with the given median and 99th
// percentile, the way latency targets are usually stated.
func LogNormalFromMedianP99(median, p99 float64) LogNormal {
	mu := math.Log(median)
	return LogNormal{Mu: mu, Sigma: (math.Log(p99) - mu) / z99}
}

func (d LogNormal) Sample(r *rand.Rand) float64 { return math.Exp(d.Mu + d.Sigma*r.NormFloat64()) }
func (d LogNormal) Quantile(p float64) float64 {
	return math.Exp(d.Mu + d.Sigma*math.Sqrt2*math.Erfinv(2*p-1))
}
func (d LogNormal) CDF(x float64) float64 {
	if x <= 0 {
		return 0
	}
	return 0.5 * math.Erfc(-(math.Log(x)-d.Mu)/(d.Sigma*math.Sqrt2))
}
func (d LogNormal) String() string {
	return fmt.Sprintf("lognormal(median %g, p99 %g)", d.Quantile(0.5), d.Quantile(0.99))
}

// Exponential has the given Mean.
type Exponential struct{ Mean float64 }

func (d Exponential) Sample(r *rand.Rand) float64 { return d.Mean * r.ExpFloat64() }
func (d Exponential) Quantile(p float64) float64  { return -d.Mean * math.Log1p(-p) }
func (d Exponential) CDF(x float64) float64 {
	if x < 0 {
		return 0
	}
	return -math.Expm1(-x / d.Mean)
}
func (d Exponential) String() string { return fmt.Sprintf("exponential(mean %g)", d.Mean) }

// Pareto (type I) with minimum Scale and tail index Shape: heavy tails,
// the occasional request that takes ten times the usual.
type Pareto struct{ Scale, Shape float64 }

func (d Pareto) Sample(r *rand.Rand) float64 {
	return d.Scale / math.Pow(1-r.Float64(), 1/d.Shape) // 1-U is in (0, 1]
}
func (d Pareto) Quantile(p float64) float64 { return d.Scale / math.Pow(1-p, 1/d.Shape) }
func (d Pareto) CDF(x float64) float64 {
	if x < d.Scale {
		return 0
	}
	return 1 - math.Pow(d.Scale/x, d.Shape)
}
func (d Pareto) String() string { return fmt.Sprintf("pareto(scale %g, shape %g)", d.Scale, d.Shape) }

// Empirical resamples a list of observations (with replacement), such as
// latencies recorded from a real endpoint.
type Empirical struct{ sorted []float64 }

// NewEmpirical copies and sorts samples.
func NewEmpirical(samples []float64) Empirical {
	s := slices.Clone(samples)
	slices.Sort(s)
	return Empirical{sorted: s}
}

func (d Empirical) Sample(r *rand.Rand) float64 { return d.sorted[r.IntN(len(d.sorted))] }

// Quantile is the inverse of the step CDF: the smallest x with CDF(x) ≥ p.
func (d Empirical) Quantile(p float64) float64 {
	i := int(math.Ceil(p*float64(len(d.sorted)))) - 1
	return d.sorted[max(0, min(i, len(d.sorted)-1))]
}

func (d Empirical) CDF(x float64) float64 {
	return float64(sort.SearchFloat64s(d.sorted, math.Nextafter(x, math.Inf(1)))) / float64(len(d.sorted))
}
func (d Empirical) String() string { return fmt.Sprintf("empirical(%d samples)", len(d.sorted)) }

// Mixture draws from component i with probability Weights[i] (normalised),
// e.g. 95 % fast and 5 % slow requests.
type Mixture struct {
	Weights    []float64
	Components []Dist
	cum        []float64
}

// NewMixture normalises the weights.
func NewMixture(weights []float64, comps []Dist) Mixture {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	cum := make([]float64, len(weights))
	acc := 0.0
	for i, w := range weights {
		acc += w / total
		cum[i] = acc
	}
	cum[len(cum)-1] = 1
	norm := make([]float64, len(weights))
	for i, w := range weights {
		norm[i] = w / total
	}
	return Mixture{Weights: norm, Components: comps, cum: cum}
}

func (d Mixture) Sample(r *rand.Rand) float64 {
	u := r.Float64()
	i := sort.SearchFloat64s(d.cum, u)
	return d.Components[min(i, len(d.Components)-1)].Sample(r)
}

func (d Mixture) CDF(x float64) float64 {
	c := 0.0
	for i, comp := range d.Components {
		c += d.Weights[i] * comp.CDF(x)
	}
	return c
}

// Quantile inverts the CDF by bisection between the components' extremes.
func (d Mixture) Quantile(p float64) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range d.Components {
		lo = math.Min(lo, c.Quantile(0))
		hi = math.Max(hi, c.Quantile(math.Min(p+(1-p)/2, 1-1e-12)))
	}
	hi = math.Max(hi, lo)
	for hi < math.MaxFloat64/2 && d.CDF(hi) < p {
		hi = 2*hi + 1
	}
	for range 200 {
		mid := (lo + hi) / 2
		if d.CDF(mid) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

func (d Mixture) String() string {
	s := "mixture("
	for i, c := range d.Components {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%.3g×%s", d.Weights[i], c)
	}
	return s + ")"
}
