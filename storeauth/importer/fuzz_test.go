package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hashless/hashless/legacyhash"
	"github.com/hashless/hashless/storeauth/store"
	"github.com/hashless/hashless/storeauth/store/memory"
)

// The fuzz targets feed arbitrary input to each parser and then to a whole import (twice,
// into a store in memory). Whatever the input: no panic, bounded work, rows in order,
// every stored customer valid, and a second run changes nothing. The seed corpus is kept
// in testdata/fuzz/<target>/.

const fuzzMaxRecord = 4096

func fuzzParse(t *testing.T, in []byte, f Format) {
	rd, err := newReader(strings.NewReader(string(in)), f, fuzzMaxRecord)
	if err != nil {
		return
	}
	if f != FormatAuto && f != FormatCSV && rd.format() != f {
		t.Fatalf("asked for %s, reading %s", f, rd.format())
	}
	im := &importer{legacy: legacyhash.Default()}
	last := 0
	for n := 0; ; n++ {
		if n > len(in)+1 {
			t.Fatalf("more rows (%d) than input bytes (%d)", n, len(in))
		}
		r, err := rd.next()
		if errors.Is(err, io.EOF) {
			return
		}
		var se stopError
		if errors.As(err, &se) {
			return
		}
		var le *LineError
		if errors.As(err, &le) {
			if le.Line < last || le.Line < 1 || le.Message == "" {
				t.Fatalf("error at line %d after line %d: %q", le.Line, last, le.Message)
			}
			last = le.Line
			continue
		}
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		if r.line < last || r.line < 1 {
			t.Fatalf("row at line %d after line %d", r.line, last)
		}
		last = r.line
		if r.skip != "" {
			continue
		}
		if le := im.check(&r); le != nil {
			continue
		}
		if _, msg := checkEmail(r.email); msg != "" {
			t.Fatalf("checked row with a bad e-mail %q", r.email)
		}
		if r.id != "" && !SafeID(r.id) {
			t.Fatalf("checked row keeps the unsafe id %q", r.id)
		}
		if r.hash != "" {
			if _, ok := im.legacy.Detect(r.hash); !ok || strings.TrimSpace(r.hash) != r.hash {
				t.Fatalf("checked row with an unusable hash")
			}
		}
		for _, v := range []string{r.firstName, r.lastName, r.phone, string(r.metadata)} {
			if !utf8.ValidString(v) {
				t.Fatalf("checked row with invalid UTF-8 %q", v)
			}
		}
	}
}

func fuzzImport(t *testing.T, in []byte, f Format) {
	st := memory.New()
	n := 0
	opts := Options{Format: f, MaxRecordBytes: fuzzMaxRecord, ProgressEvery: 3,
		NewID: func() string { n++; return fmt.Sprintf("cus_FUZZ%d", n) },
		Now:   func() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }}
	var last Progress
	opts.Progress = func(p Progress) {
		if p.Rows < last.Rows || last.Done {
			t.Fatalf("progress %+v after %+v", p, last)
		}
		last = p
	}
	first, err := Import(context.Background(), st, strings.NewReader(string(in)), opts)
	if err != nil {
		return // unreadable input or a stopping record: nothing more to check
	}
	if !last.Done || last.Rows != first.Rows {
		t.Fatalf("last progress %+v, result %+v", last, first)
	}
	if sum := first.Imported + first.Updated + first.Skipped + int64(len(first.Errors)) + first.ErrorsOmitted; sum != first.Rows {
		t.Fatalf("counts add up to %d of %d rows: %+v", sum, first.Rows, first)
	}
	cs, err := st.ListCustomers(context.Background(), store.CustomerFilter{}, "", 100000)
	if err != nil {
		t.Fatal(err)
	}
	reg := legacyhash.Default()
	for _, c := range cs {
		if _, msg := checkEmail(c.Email); msg != "" || c.ID == "" || !SafeID(c.ID) {
			t.Fatalf("stored %+v", c)
		}
		if c.PasswordHash != "" {
			if _, ok := reg.Detect(c.PasswordHash); !ok || !c.HasAccount {
				t.Fatalf("stored hash without an account or in no known format: %+v", c)
			}
		} else if c.HasAccount {
			t.Fatalf("an import made an account without a hash: %+v", c)
		}
	}
	opts.Progress = nil
	second, err := Import(context.Background(), st, strings.NewReader(string(in)), opts)
	if err != nil {
		t.Fatalf("the second run failed where the first did not: %v", err)
	}
	if second.Imported != 0 || second.Updated != 0 {
		t.Fatalf("the second run changed the table: %+v (first %+v)", second, first)
	}
}

func FuzzJSONL(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzParse(t, in, FormatJSONL)
		fuzzImport(t, in, FormatJSONL)
	})
}

func FuzzMedusaV1CSV(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzParse(t, in, FormatMedusaV1)
		fuzzParse(t, in, FormatAuto)
		fuzzImport(t, in, FormatMedusaV1)
	})
}

func FuzzMedusaV2CSV(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzParse(t, in, FormatMedusaV2)
		fuzzParse(t, in, FormatCSV)
		fuzzImport(t, in, FormatMedusaV2)
	})
}
