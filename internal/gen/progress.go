package gen

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress draws a one-line progress bar, redrawn in place with \r, with the
// rate and the time left.
type progress struct {
	w     io.Writer
	total int
	start time.Time
	last  time.Time
	n     int
}

func newProgress(w io.Writer, total int) *progress {
	return &progress{w: w, total: total, start: time.Now()}
}

const barWidth = 30

// update redraws the bar for n cases done, at most a few times a second.
func (p *progress) update(n int) {
	if p.w == nil {
		return
	}
	p.n = n
	now := time.Now()
	if n < p.total && now.Sub(p.last) < 200*time.Millisecond {
		return
	}
	p.last = now
	fmt.Fprint(p.w, "\r"+Bar(n, p.total, now.Sub(p.start)))
}

// done ends the bar's line.
func (p *progress) done() {
	if p.w == nil {
		return
	}
	p.update(p.total)
	fmt.Fprintln(p.w)
}

// Bar renders the progress line for n of total cases after elapsed, e.g.
// "[#########.....]  60%  600,000/1,000,000 cases  9,870/s  ETA 0:40".
func Bar(n, total int, elapsed time.Duration) string {
	frac := 0.0
	if total > 0 {
		frac = float64(n) / float64(total)
	}
	fill := int(frac * barWidth)
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(n) / s
	}
	eta := "--:--"
	if rate > 0 && n < total {
		eta = clock(time.Duration(float64(total-n) / rate * float64(time.Second)))
	} else if n >= total {
		eta = clock(elapsed) + " total"
	}
	return fmt.Sprintf("[%s%s] %3.0f%%  %s/%s cases  %s/s  ETA %s ",
		strings.Repeat("#", fill), strings.Repeat(".", barWidth-fill), frac*100,
		thousands(n), thousands(total), thousands(int(rate)), eta)
}

// clock writes d as m:ss or h:mm:ss.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// thousands writes n with comma separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
