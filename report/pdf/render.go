package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/signintech/gopdf"

	"github.com/kirokuhq/kiroku/internal/media"
)

// Page geometry in points: A4 portrait.
const (
	pageW, pageH   = 595.28, 841.89
	marginX        = 48.0
	contentTop     = 64.0  // below the header
	contentBottom  = 790.0 // above the footer
	contentW       = pageW - 2*marginX
	labelW         = 130.0 // the label column of the field table
	cellPad        = 4.0
	photoMaxHeight = 360.0
	photoMaxScale  = 1.5 // points per pixel: small images are not blown up further
)

// Font sizes in points.
const (
	sizeBody    = 10.5
	sizeSmall   = 8.5
	sizeHeading = 15.0
	sizeSection = 11.5
	sizeCover   = 28.0
)

// document is everything a PDF shows, looked up and formatted; photos are
// read through open while rendering, one at a time.
type document struct {
	Title    string
	Customer string // display name; "" for a draft
	Tenant   string
	Cover    bool
	From, To time.Time // the period, in the tenant's zone
	Made     time.Time // in the tenant's zone
	Records  []recordView
	Charts   []chartView
}

type recordView struct {
	At          time.Time  // the record's time, in the tenant's zone
	Rows        []fieldRow // the table: the record's facts, then its template's fields
	PublicMemo  string
	PrivateMemo string
	ShowPrivate bool
	Photos      []photo
	Files       []string
}

type photo struct {
	ID            uuid.UUID
	Name          string
	MIME          string // as stored: image/jpeg or image/png
	Size          int64
	Width, Height int
}

// chartView is a chart image (PNG) with its caption.
type chartView struct {
	Caption string
	PNG     []byte
	Width   int
	Height  int
}

// opener streams a photo's stored content.
type opener func(ctx context.Context, id uuid.UUID) (io.ReadCloser, error)

type renderer struct {
	pdf   *gopdf.GoPdf
	font  string // the font's name in the PDF
	y     float64
	size  float64
	width map[rune]float64 // advance at size 1, per rune
	first int              // the first page with header and footer
	// photoBytes counts the bytes of the photos placed, which gopdf holds
	// until the PDF is written; more than maxPhotoBytes is refused.
	photoBytes, maxPhotoBytes int64
	// photoDPI, when positive, is the resolution photos are scaled down
	// to at their size on the page (Config.PhotoDPI); 0 embeds them as
	// stored.
	photoDPI int
}

// render lays out doc into a new PDF and writes it to w. font is the
// TrueType font, fontName its name in the PDF (with a subset tag). Photos
// of more than maxPhotoBytes together (as placed) fail with
// errPhotosTooLarge; photoDPI > 0 scales photos down to that resolution
// (Config.PhotoDPI).
func render(ctx context.Context, w io.Writer, doc *document, font []byte, fontName string, open opener, maxPhotoBytes int64, photoDPI int) error {
	p := &gopdf.GoPdf{}
	p.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	p.SetInfo(gopdf.PdfInfo{Title: doc.Title, Creator: "Kiroku", Producer: "Kiroku", CreationDate: doc.Made})
	if err := p.AddTTFFontData(fontName, font); err != nil {
		return fmt.Errorf("font: %w", err)
	}
	r := &renderer{pdf: p, font: fontName, width: map[rune]float64{}, first: 1, maxPhotoBytes: maxPhotoBytes, photoDPI: photoDPI}
	if doc.Cover {
		if err := r.cover(doc); err != nil {
			return err
		}
		r.first = 2
	}
	r.newPage()
	if len(doc.Records) == 0 {
		if err := r.setSize(sizeBody); err != nil {
			return err
		}
		if err := r.write("該当する記録はありません。", marginX, contentW); err != nil {
			return err
		}
	}
	for i := range doc.Records {
		if i > 0 {
			r.newPage()
		}
		if err := r.record(ctx, &doc.Records[i], open); err != nil {
			return err
		}
	}
	for _, c := range doc.Charts {
		if err := r.chart(c); err != nil {
			return err
		}
	}
	if err := r.decorate(doc); err != nil {
		return err
	}
	_, err := p.WriteTo(w)
	return err
}

func (r *renderer) setSize(size float64) error {
	r.size = size
	return r.pdf.SetFont(r.font, "", size)
}

// runeWidth is the advance of c at the current size.
func (r *renderer) runeWidth(c rune) float64 {
	w, ok := r.width[c]
	if !ok {
		saved := r.size
		_ = r.pdf.SetFont(r.font, "", 100)
		m, err := r.pdf.MeasureTextWidth(string(c))
		_ = r.pdf.SetFont(r.font, "", saved)
		if err != nil {
			m = 100
		}
		w = m / 100
		r.width[c] = w
	}
	return w * r.size
}

func (r *renderer) lineHeight() float64 { return r.size * 1.6 }

func (r *renderer) newPage() {
	r.pdf.AddPage()
	r.y = contentTop
}

// need starts a new page unless h more points fit on this one.
func (r *renderer) need(h float64) {
	if r.y+h > contentBottom {
		r.newPage()
	}
}

// write draws text at x, wrapped to width, one line at a time, breaking
// pages between lines.
func (r *renderer) write(text string, x, width float64) error {
	for _, line := range wrap(text, width, r.runeWidth) {
		r.need(r.lineHeight())
		if line != "" {
			r.pdf.SetXY(x, r.y)
			if err := r.pdf.Cell(nil, line); err != nil {
				return err
			}
		}
		r.y += r.lineHeight()
	}
	return nil
}

// centered draws one line centered on the page at y.
func (r *renderer) centered(text string, y float64) error {
	for i, line := range wrap(text, contentW, r.runeWidth) {
		var w float64
		for _, c := range line {
			w += r.runeWidth(c)
		}
		r.pdf.SetXY((pageW-w)/2, y+float64(i)*r.lineHeight())
		if err := r.pdf.Cell(nil, line); err != nil {
			return err
		}
	}
	return nil
}

func (r *renderer) rule() {
	r.pdf.SetStrokeColor(160, 160, 160)
	r.pdf.SetLineWidth(0.5)
	r.pdf.Line(marginX, r.y, pageW-marginX, r.y)
}

func (r *renderer) cover(doc *document) error {
	r.pdf.AddPage()
	steps := []struct {
		size float64
		text string
		y    float64
	}{
		{sizeCover, doc.Title, 250},
		{sizeHeading + 3, doc.Customer + " 様", 340},
		{sizeSection, period(doc.From, doc.To), 470},
		{sizeSection, "作成日 " + jpDate(doc.Made), 495},
		{sizeHeading, doc.Tenant, 620},
	}
	for _, s := range steps {
		if strings.TrimSpace(s.text) == "" || s.text == " 様" {
			continue
		}
		if err := r.setSize(s.size); err != nil {
			return err
		}
		if err := r.centered(s.text, s.y); err != nil {
			return err
		}
	}
	return nil
}

// period formats the days from and to as 「期間 2026年01月05日(月) 〜 …」.
func period(from, to time.Time) string {
	if from.IsZero() && to.IsZero() {
		return ""
	}
	s := "期間 "
	if !from.IsZero() {
		s += jpDate(from)
	}
	s += " 〜 "
	if !to.IsZero() {
		s += jpDate(to)
	}
	return s
}

func (r *renderer) section(title string) error {
	if err := r.setSize(sizeSection); err != nil {
		return err
	}
	r.need(r.lineHeight() * 3) // keep a heading with its first lines
	r.y += 4
	r.pdf.SetTextColor(60, 60, 60)
	err := r.write("■ "+title, marginX, contentW)
	r.pdf.SetTextColor(0, 0, 0)
	return err
}

func (r *renderer) record(ctx context.Context, rec *recordView, open opener) error {
	if err := r.setSize(sizeHeading); err != nil {
		return err
	}
	if err := r.write(jpDate(rec.At), marginX, contentW); err != nil {
		return err
	}
	r.y += 2
	r.rule()
	r.y += 8
	if err := r.table(rec.Rows); err != nil {
		return err
	}
	memos := []struct {
		title, text string
		show        bool
	}{
		{"メモ(お客様に公開)", rec.PublicMemo, rec.PublicMemo != ""},
		{"非公開メモ(社内のみ)", rec.PrivateMemo, rec.ShowPrivate && rec.PrivateMemo != ""},
	}
	for _, m := range memos {
		if !m.show {
			continue
		}
		if err := r.section(m.title); err != nil {
			return err
		}
		if err := r.setSize(sizeBody); err != nil {
			return err
		}
		if err := r.write(m.text, marginX+cellPad, contentW-cellPad); err != nil {
			return err
		}
	}
	if len(rec.Photos) > 0 {
		if err := r.section("写真"); err != nil {
			return err
		}
		for _, ph := range rec.Photos {
			if err := r.photo(ctx, ph, open); err != nil {
				return err
			}
		}
	}
	if len(rec.Files) > 0 {
		if err := r.section("添付ファイル"); err != nil {
			return err
		}
		if err := r.setSize(sizeBody); err != nil {
			return err
		}
		for _, f := range rec.Files {
			if err := r.write("・"+f, marginX+cellPad, contentW-cellPad); err != nil {
				return err
			}
		}
	}
	return nil
}

// table draws label–value rows; a row taller than what is left of the page
// starts a new page, and one taller than a page is split between lines.
func (r *renderer) table(rows []fieldRow) error {
	if err := r.setSize(sizeBody); err != nil {
		return err
	}
	lh := r.lineHeight()
	valueX, valueW := marginX+labelW+cellPad, contentW-labelW-2*cellPad
	for _, row := range rows {
		labels := wrap(row.Label, labelW-2*cellPad, r.runeWidth)
		values := wrap(row.Text, valueW, r.runeWidth)
		h := float64(max(len(labels), len(values)))*lh + cellPad
		if h <= contentBottom-contentTop {
			r.need(h)
		}
		top := r.y
		r.pdf.SetFillColor(240, 240, 240)
		r.pdf.RectFromUpperLeftWithStyle(marginX, top, labelW, min(h, contentBottom-top), "F")
		r.pdf.SetFillColor(0, 0, 0)
		for i, l := range labels {
			r.pdf.SetXY(marginX+cellPad, top+cellPad/2+float64(i)*lh)
			if err := r.pdf.Cell(nil, l); err != nil {
				return err
			}
		}
		r.y = top + cellPad/2
		for _, v := range values {
			if r.y+lh > contentBottom {
				r.newPage()
			}
			if v != "" {
				r.pdf.SetXY(valueX, r.y)
				if err := r.pdf.Cell(nil, v); err != nil {
					return err
				}
			}
			r.y += lh
		}
		r.y = max(r.y+cellPad/2, top+h)
		r.rule()
	}
	r.y += 6
	return nil
}

// box fits an image of w×h into maxW×maxH, keeping its aspect ratio.
func box(w, h int, maxW, maxH float64) (float64, float64) {
	if w <= 0 || h <= 0 {
		return maxW, maxH
	}
	s := min(maxW/float64(w), maxH/float64(h), photoMaxScale)
	return float64(w) * s, float64(h) * s
}

// printPixels is the number of pixels that pt points take at dpi.
func printPixels(pt float64, dpi int) int { return int(math.Ceil(pt * float64(dpi) / 72)) }

// photo places a photo, read from the blob store: as stored, unless
// r.photoDPI is set and the photo has more pixels than its place on the
// page takes at that resolution; then it is scaled down to that (decoded
// from the stream, so the stored file is never held whole). The bytes
// placed count against the photo budget.
func (r *renderer) photo(ctx context.Context, ph photo, open opener) error {
	w, h := box(ph.Width, ph.Height, contentW, photoMaxHeight)
	if err := r.setSize(sizeSmall); err != nil {
		return err
	}
	r.need(h + r.lineHeight() + 8)
	rc, err := open(ctx, ph.ID)
	if err != nil {
		return fmt.Errorf("photo %s: %w", ph.ID, err)
	}
	var data []byte
	if pw, pht := printPixels(w, r.photoDPI), printPixels(h, r.photoDPI); r.photoDPI > 0 && (ph.Width > pw || ph.Height > pht) {
		data, _, _, err = media.Downscale(rc, ph.MIME, pw, pht)
	} else {
		buf := bytes.NewBuffer(make([]byte, 0, ph.Size+bytes.MinRead))
		_, err = buf.ReadFrom(rc)
		data = buf.Bytes()
	}
	rc.Close()
	if err != nil {
		return fmt.Errorf("photo %s: %w", ph.ID, err)
	}
	if r.photoBytes += int64(len(data)); r.photoBytes > r.maxPhotoBytes {
		return errPhotosTooLarge
	}
	img := &photoHolder{id: ph.ID.String(), Reader: bytes.NewReader(data)}
	if err := r.pdf.ImageByHolder(img, marginX+(contentW-w)/2, r.y, &gopdf.Rect{W: w, H: h}); err != nil {
		return fmt.Errorf("photo %s: %w", ph.ID, err)
	}
	r.y += h + 2
	if err := r.write(ph.Name, marginX, contentW); err != nil {
		return err
	}
	r.y += 6
	return nil
}

// errPhotosTooLarge stops a rendering whose photos exceed the budget.
var errPhotosTooLarge = errors.New("the photos exceed the budget")

// photoHolder hands a photo's bytes to gopdf under the attachment's ID
// (gopdf's own holders hash the bytes for an ID and copy them twice).
type photoHolder struct {
	id string
	*bytes.Reader
}

func (p *photoHolder) ID() string { return p.id }

func (r *renderer) chart(c chartView) error {
	w, h := box(c.Width, c.Height, contentW, photoMaxHeight)
	if err := r.section(c.Caption); err != nil {
		return err
	}
	r.need(h + 8)
	img, err := gopdf.ImageHolderByBytes(c.PNG)
	if err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	if err := r.pdf.ImageByHolder(img, marginX+(contentW-w)/2, r.y, &gopdf.Rect{W: w, H: h}); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	r.y += h + 8
	return nil
}

// decorate puts the header (the customer's name and the title) and the page
// number 「n / N」 on every page after the cover.
func (r *renderer) decorate(doc *document) error {
	total := r.pdf.GetNumberOfPages()
	header := doc.Title
	if doc.Customer != "" {
		header = doc.Customer + " 様　" + doc.Title
	}
	for n := r.first; n <= total; n++ {
		if err := r.pdf.SetPage(n); err != nil {
			return err
		}
		if err := r.setSize(sizeSmall); err != nil {
			return err
		}
		r.pdf.SetTextColor(90, 90, 90)
		lines := wrap(header, contentW, r.runeWidth)
		r.pdf.SetXY(marginX, 30)
		if err := r.pdf.Cell(nil, lines[0]); err != nil {
			return err
		}
		r.pdf.SetStrokeColor(160, 160, 160)
		r.pdf.SetLineWidth(0.5)
		r.pdf.Line(marginX, 46, pageW-marginX, 46)
		if err := r.centered(fmt.Sprintf("%d / %d", n-r.first+1, total-r.first+1), 806); err != nil {
			return err
		}
		r.pdf.SetTextColor(0, 0, 0)
	}
	return nil
}
