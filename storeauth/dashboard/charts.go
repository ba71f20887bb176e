package dashboard

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hashless/hashless/storeauth"
)

// Charts are drawn here as geometry the templates turn into SVG: no script, no library,
// nothing fetched. Every chart has a title and a description for assistive technology,
// labelled axes, a legend that tells series apart by more than colour (dashes, position
// in the stack and its label), and a table with the same numbers next to it.

// Chart size in SVG user units; the stylesheet scales it to the page.
const (
	chartW       = 720.0
	chartH       = 300.0
	plotLeft     = 64.0
	plotRight    = 48.0
	plotTop      = 44.0
	plotBottom   = 40.0
	legendY      = 18.0
	maxXLabels   = 7
	legendSwatch = 22.0
)

type chart struct {
	ID, Title, Desc string
	W, H            float64
	// The plot area, and where labels go around it.
	X0, Y0, X1, Y1 float64
	YLabelX        float64
	XTickEnd       float64
	XLabelY        float64
	LegendY        float64
	YTicks         []tick
	XTicks         []tick
	Lines          []line
	Bars           []bar
	Legend         []legendItem
}

type tick struct {
	Pos   float64
	Label string
}

type line struct {
	Name, Class string
	// Points is the polyline's points attribute.
	Points string
	Marks  []mark
}

type mark struct {
	X, Y  float64
	Title string
}

type bar struct {
	X, Y, W, H   float64
	Class, Title string
}

type legendItem struct {
	Label, Class string
	// The swatch runs from X to X2 (a line at the legend's height, or a box from Y to
	// Y+12); the label starts at TextX.
	X, X2, Y, TextX float64
	Line            bool
}

// outcomeInfo is a sign-in outcome as the console names and colours it.
type outcomeInfo struct {
	Name, Label, Class string
}

var outcomeLabels = map[string]string{
	storeauth.LoginOK:              "Signed in",
	storeauth.LoginMigrated:        "Migrated",
	storeauth.LoginBlockedByPolicy: "Blocked by policy",
	storeauth.LoginRefused:         "Refused",
	storeauth.LoginThrottled:       "Throttled",
	storeauth.LoginError:           "Error",
}

func outcomes() []outcomeInfo {
	var out []outcomeInfo
	for _, o := range storeauth.LoginOutcomeNames() {
		out = append(out, outcomeInfo{Name: o, Label: outcomeLabels[o], Class: "o-" + strings.ReplaceAll(o, "_", "-")})
	}
	return out
}

// yScale picks the top of the axis and its ticks for counts up to max: a round step of 1,
// 2 or 5 times a power of ten, at most five of them, whole numbers only.
func yScale(max int64) (top int64, ticks []int64) {
	if max < 1 {
		max = 1
	}
	step := int64(1)
	for mag := int64(1); ; mag *= 10 {
		found := false
		for _, m := range []int64{1, 2, 5} {
			if s := m * mag; (max+s-1)/s <= 5 {
				step, found = s, true
				break
			}
		}
		if found {
			break
		}
	}
	top = (max + step - 1) / step * step
	for v := int64(0); v <= top; v += step {
		ticks = append(ticks, v)
	}
	return top, ticks
}

func newChart(id, title, desc string, top int64, ticks []int64) chart {
	c := chart{ID: id, Title: title, Desc: desc, W: chartW, H: chartH,
		X0: plotLeft, Y0: plotTop, X1: chartW - plotRight, Y1: chartH - plotBottom}
	c.YLabelX, c.XTickEnd, c.XLabelY, c.LegendY = c.X0-8, c.Y1+5, c.Y1+22, legendY
	for _, v := range ticks {
		c.YTicks = append(c.YTicks, tick{Pos: c.y(v, top), Label: formatCount(v)})
	}
	return c
}

// y is where count v lies on an axis from 0 to top.
func (c chart) y(v, top int64) float64 {
	return round1(c.Y1 - (c.Y1-c.Y0)*float64(v)/float64(top))
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// xLabelEvery is how many of n positions one label stands for: at most maxXLabels labels,
// evenly spaced, counted back from the last position, which always has one.
func xLabelEvery(n int) int {
	return max(1, (n+maxXLabels-1)/maxXLabels)
}

// layoutLegend places legend items left to right above the plot; text width is estimated
// from the label's length.
func (c *chart) layoutLegend(items []legendItem) {
	x := c.X0
	for _, it := range items {
		it.X, it.X2, it.Y = x, x+legendSwatch, c.LegendY-6
		it.TextX = x + legendSwatch + 6
		c.Legend = append(c.Legend, it)
		x = it.TextX + 7*float64(len(it.Label)) + 18
	}
}

// migrationChart draws customers migrated against those still on a legacy hash, one point
// per moment of points.
func migrationChart(points []storeauth.MigrationPoint, now time.Time, label func(time.Time) string, span string) chart {
	var peak int64
	for _, p := range points {
		peak = max(peak, p.Migrated, p.Legacy)
	}
	top, ticks := yScale(peak)
	first, last := points[0], points[len(points)-1]
	desc := fmt.Sprintf("Line chart, %s. Migrated customers went from %s to %s; customers still on a legacy hash went from %s to %s. The table below lists every point.",
		strings.ToLower(span), formatCount(first.Migrated), formatCount(last.Migrated), formatCount(first.Legacy), formatCount(last.Legacy))
	c := newChart("migration", "Customers migrated and still on a legacy hash", desc, top, ticks)
	n := len(points) - 1
	x := func(i int) float64 { return round1(c.X0 + (c.X1-c.X0)*float64(i)/float64(max(n, 1))) }
	every := xLabelEvery(len(points))
	for i, p := range points {
		if (n-i)%every == 0 {
			c.XTicks = append(c.XTicks, tick{Pos: x(i), Label: atLabel(p.At, now, label)})
		}
	}
	series := []struct {
		name, class string
		value       func(storeauth.MigrationPoint) int64
	}{
		{"Migrated", "s-migrated", func(p storeauth.MigrationPoint) int64 { return p.Migrated }},
		{"Still legacy", "s-legacy", func(p storeauth.MigrationPoint) int64 { return p.Legacy }},
	}
	var legend []legendItem
	for _, s := range series {
		l := line{Name: s.name, Class: s.class}
		var pts []string
		for i, p := range points {
			v := s.value(p)
			px, py := x(i), c.y(v, top)
			pts = append(pts, strconv.FormatFloat(px, 'f', 1, 64)+","+strconv.FormatFloat(py, 'f', 1, 64))
			l.Marks = append(l.Marks, mark{X: px, Y: py, Title: fmt.Sprintf("%s: %s %s", atLabel(p.At, now, label), formatCount(v), strings.ToLower(s.name))})
		}
		l.Points = strings.Join(pts, " ")
		c.Lines = append(c.Lines, l)
		legend = append(legend, legendItem{Label: s.name, Class: s.class, Line: true})
	}
	c.layoutLegend(legend)
	return c
}

// loginChart draws each bucket's sign-ins as a bar stacked by outcome, in the order of
// outs from the bottom.
func loginChart(buckets []storeauth.LoginBucket, outs []outcomeInfo, label func(time.Time) string, span string, step time.Duration) chart {
	var peak, total int64
	for _, b := range buckets {
		peak = max(peak, b.Total)
		total += b.Total
	}
	top, ticks := yScale(peak)
	var parts []string
	for _, o := range outs {
		var n int64
		for _, b := range buckets {
			n += b.Counts[o.Name]
		}
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", strings.ToLower(o.Label), formatCount(n)))
		}
	}
	desc := fmt.Sprintf("Stacked bar chart, %s, one bar per %s. %s sign-ins in all", strings.ToLower(span), stepName(step), formatCount(total))
	if len(parts) > 0 {
		desc += ": " + strings.Join(parts, ", ")
	}
	desc += ". The table below lists every bar."
	c := newChart("logins", "Sign-ins by outcome", desc, top, ticks)
	n := len(buckets)
	slot := (c.X1 - c.X0) / float64(max(n, 1))
	gap := math.Min(4, slot/5)
	every := xLabelEvery(n)
	for i, b := range buckets {
		x0 := c.X0 + slot*float64(i)
		if (n-1-i)%every == 0 {
			c.XTicks = append(c.XTicks, tick{Pos: round1(x0 + slot/2), Label: label(b.Start)})
		}
		var below int64
		for _, o := range outs {
			v := b.Counts[o.Name]
			if v == 0 {
				continue
			}
			yTop, yBottom := c.y(below+v, top), c.y(below, top)
			c.Bars = append(c.Bars, bar{X: round1(x0 + gap), Y: yTop, W: round1(slot - 2*gap), H: round1(yBottom - yTop),
				Class: o.Class, Title: fmt.Sprintf("%s: %s %s", periodLabel(b.Start, step), formatCount(v), strings.ToLower(o.Label))})
			below += v
		}
	}
	var legend []legendItem
	for _, o := range outs {
		legend = append(legend, legendItem{Label: o.Label, Class: o.Class})
	}
	c.layoutLegend(legend)
	return c
}

// --- labels

// pointLabel formats a moment on a chart of the given step.
func pointLabel(step time.Duration) func(time.Time) string {
	if step >= 24*time.Hour {
		return func(t time.Time) string { return t.UTC().Format("Jan 2") }
	}
	return func(t time.Time) string { return t.UTC().Format("Jan 2 15:04") }
}

// atLabel is label(t), or "now" for the end of a window that is still running.
func atLabel(t, now time.Time, label func(time.Time) string) string {
	if t.After(now) {
		return "now"
	}
	return label(t)
}

// periodLabel names the bucket starting at start.
func periodLabel(start time.Time, step time.Duration) string {
	start = start.UTC()
	if step >= 24*time.Hour && step%(24*time.Hour) == 0 {
		return start.Format("Jan 2")
	}
	return start.Format("Jan 2 15:04") + "–" + start.Add(step).Format("15:04")
}

func stepName(step time.Duration) string {
	switch step {
	case time.Hour:
		return "hour"
	case 24 * time.Hour:
		return "day"
	default:
		return fmt.Sprintf("%d hours", int(step/time.Hour))
	}
}

// timeLabel is a time as pages show it, in UTC to the minute; "–" for none.
func timeLabel(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// formatCount writes n with thousands separated by commas.
func formatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
