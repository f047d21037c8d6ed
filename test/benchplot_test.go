package test

import (
	"fmt"
	"math"
	"strings"
)

// series is one line of a chart.
type series struct {
	name  string
	color string
	y     []float64
}

// chart is one panel of the scaling plot: x is the number of containers.
type chart struct {
	title string
	unit  string
	x     []float64
	lines []series
}

// Panel geometry of the scaling plot, in SVG user units.
const (
	panelW, panelH = 440.0, 320.0
	padL, padR     = 56.0, 16.0
	padT, padB     = 36.0, 84.0
)

// scalePlot draws goal 5's points as an SVG: RSS on the left, the
// latencies on the right, both against the number of running containers.
func scalePlot(points []scalePoint) string {
	x := make([]float64, len(points))
	col := func(f func(scalePoint) float64) []float64 {
		v := make([]float64, len(points))
		for i, p := range points {
			v[i] = f(p)
		}
		return v
	}
	for i, p := range points {
		x[i] = float64(p.containers)
	}
	charts := []chart{
		{title: "Daemon RSS", unit: "MiB", x: x, lines: []series{
			{"RSS", "#1f77b4", col(func(p scalePoint) float64 { return p.rssMiB })},
		}},
		{title: "Request latency (median)", unit: "ms", x: x, lines: []series{
			{"ProcessList", "#1f77b4", col(func(p scalePoint) float64 { return p.procListMs })},
			{"Statistics", "#ff7f0e", col(func(p scalePoint) float64 { return p.statsMs })},
			{"DumpStacks", "#2ca02c", col(func(p scalePoint) float64 { return p.stacksMs })},
			{"no-op (floor)", "#7f7f7f", col(func(p scalePoint) float64 { return p.noopMs })},
		}},
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`+"\n",
		panelW*float64(len(charts)), panelH)
	s.WriteString(`<rect width="100%" height="100%" fill="white"/>` + "\n")
	for i, c := range charts {
		c.draw(&s, panelW*float64(i))
	}
	s.WriteString("</svg>\n")
	return s.String()
}

// draw renders c as a panel whose left edge is at ox.
func (c chart) draw(s *strings.Builder, ox float64) {
	x0, x1 := ox+padL, ox+panelW-padR
	y0, y1 := panelH-padB, padT // bottom and top of the plot area
	xmax := c.x[len(c.x)-1]
	ymax := 0.0
	for _, l := range c.lines {
		for _, v := range l.y {
			ymax = math.Max(ymax, v)
		}
	}
	ymax = niceCeil(ymax)
	px := func(v float64) float64 { return x0 + (x1-x0)*v/xmax }
	py := func(v float64) float64 { return y0 - (y0-y1)*v/ymax }
	fmt.Fprintf(s, `<text x="%.1f" y="20" font-size="14" text-anchor="middle">%s</text>`+"\n", (x0+x1)/2, c.title)
	for t := 0; t <= 4; t++ {
		v := ymax * float64(t) / 4
		fmt.Fprintf(s, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", x0, py(v), x1, py(v))
		fmt.Fprintf(s, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n", x0-4, py(v)+4, trimFloat(v))
	}
	for _, v := range c.x {
		fmt.Fprintf(s, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", px(v), y0+16, trimFloat(v))
	}
	fmt.Fprintf(s, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", x0, y0, x1, y0)
	fmt.Fprintf(s, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", x0, y0, x0, y1)
	fmt.Fprintf(s, `<text x="%.1f" y="%.1f" text-anchor="middle">running containers</text>`+"\n", (x0+x1)/2, y0+32)
	fmt.Fprintf(s, `<text x="14" y="%.1f" transform="rotate(-90 %.1f %.1f)" text-anchor="middle">%s</text>`+"\n",
		(y0+y1)/2, ox+14, (y0+y1)/2, c.unit)
	for i, l := range c.lines {
		pts := make([]string, len(l.y))
		for j, v := range l.y {
			pts[j] = fmt.Sprintf("%.1f,%.1f", px(c.x[j]), py(v))
			fmt.Fprintf(s, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", px(c.x[j]), py(v), l.color)
		}
		fmt.Fprintf(s, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", l.color, strings.Join(pts, " "))
		lx := x0 + float64(i%2)*(x1-x0)/2
		ly := y0 + 52 + float64(i/2)*16
		fmt.Fprintf(s, `<rect x="%.1f" y="%.1f" width="12" height="4" fill="%s"/>`+"\n", lx, ly-5, l.color)
		fmt.Fprintf(s, `<text x="%.1f" y="%.1f">%s</text>`+"\n", lx+16, ly, l.name)
	}
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func trimFloat(v float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
}
