package customer_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// fakeReadings is what the test suggester knows.
var fakeReadings = map[string]string{"鈴木": "スズキ", "一郎": "イチロウ", "佐藤": "さとう", "花子": "ハナコ", "Smith": "smith"}

// fakeSuggester reads names from fakeReadings (returning hiragana or Latin
// as given, which the engine must normalize or refuse).
var fakeSuggester = customer.KanaSuggesterFunc(func(family, given string) (string, string, bool) {
	f, ok := fakeReadings[family]
	if !ok {
		return "", "", false
	}
	g, ok := fakeReadings[given]
	if given != "" && !ok {
		return "", "", false
	}
	return f, g, true
})

// withSuggester returns f's engine configured with a suggester.
func withSuggester(t *testing.T, f *fixture, s customer.KanaSuggester) *customer.Service {
	t.Helper()
	engine, err := permission.NewEngine(f.db)
	require.NoError(t, err)
	svc, err := customer.NewService(f.db, &customer.Config{Clock: f.clock.Now, Authorizer: engine, KanaSuggester: s})
	require.NoError(t, err)
	return svc
}

func TestTenantSettingsKanaOptional(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		noKana := customer.Profile{FamilyName: "鈴木", GivenName: "一郎"}

		ts, err := f.svc.TenantSettings(f.staff)
		require.NoError(t, err)
		require.Equal(t, customer.TenantSettings{}, ts, "readings are required by default")
		_, err = f.svc.Create(f.staff, noKana)
		requireCodes(t, err, map[string]string{"family_kana": "required", "given_kana": "required"})

		require.ErrorIs(t, f.svc.SetTenantSettings(f.staff, customer.TenantSettings{KanaOptional: true}), customer.ErrPermissionDenied)
		_, err = f.svc.TenantSettings(context.Background())
		require.ErrorIs(t, err, customer.ErrUnauthenticated)
		require.NoError(t, f.svc.SetTenantSettings(f.admin, customer.TenantSettings{KanaOptional: true}))
		ts, err = f.svc.TenantSettings(f.staff)
		require.NoError(t, err)
		require.True(t, ts.KanaOptional)

		c, err := f.svc.Create(f.staff, noKana)
		require.NoError(t, err)
		require.Empty(t, c.FamilyKana+c.GivenKana)
		// A reading that is given is still checked.
		bad := noKana
		bad.FamilyKana = "suzuki"
		_, err = f.svc.Create(f.staff, bad)
		requireCodes(t, err, map[string]string{"family_kana": "not_kana"})
		// The customer is found by its name, and sorted by it.
		page, err := f.svc.Search(f.staff, customer.Query{Text: "鈴木"})
		require.NoError(t, err)
		require.Equal(t, []string{"鈴木 一郎"}, names(page.Customers))

		// Another tenant keeps its own (default) setting.
		ts, err = f.svc.TenantSettings(f.other)
		require.NoError(t, err)
		require.False(t, ts.KanaOptional)
		_, err = f.svc.Create(f.other, noKana)
		requireCodes(t, err, map[string]string{"family_kana": "required", "given_kana": "required"})

		// Required again: new customers need readings, and a stored one
		// needs them when it is next edited.
		require.NoError(t, f.svc.SetTenantSettings(f.admin, customer.TenantSettings{}))
		_, err = f.svc.Create(f.staff, noKana)
		requireCodes(t, err, map[string]string{"family_kana": "required", "given_kana": "required"})
		_, err = f.svc.Update(f.staff, c.ID, c.Version, c.Profile)
		requireCodes(t, err, map[string]string{"family_kana": "required", "given_kana": "required"})
	})
}

func TestSuggestKana(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		svc := withSuggester(t, f, fakeSuggester)
		tests := []struct {
			name          string
			family, given string
			want          customer.KanaReading
			ok            bool
		}{
			{"both parts", "鈴木", "一郎", customer.KanaReading{FamilyKana: "スズキ", GivenKana: "イチロウ"}, true},
			{"cleaned input", " 鈴木\u3000", "", customer.KanaReading{FamilyKana: "スズキ"}, true},
			{"hiragana answer stored as katakana", "佐藤", "花子", customer.KanaReading{FamilyKana: "サトウ", GivenKana: "ハナコ"}, true},
			{"unknown name", "田中", "", customer.KanaReading{}, false},
			{"unknown given name", "鈴木", "太郎", customer.KanaReading{}, false},
			{"answer that is not kana", "Smith", "", customer.KanaReading{}, false},
			{"no family name", "", "一郎", customer.KanaReading{}, false},
		}
		for _, tt := range tests {
			got, ok, err := svc.SuggestKana(f.staff, tt.family, tt.given)
			require.NoError(t, err, tt.name)
			require.Equal(t, tt.ok, ok, tt.name)
			require.Equal(t, tt.want, got, tt.name)
		}
		// Without a suggester there is never a suggestion.
		got, ok, err := f.svc.SuggestKana(f.staff, "鈴木", "一郎")
		require.NoError(t, err)
		require.False(t, ok)
		require.Zero(t, got)
		_, _, err = svc.SuggestKana(context.Background(), "鈴木", "一郎")
		require.ErrorIs(t, err, customer.ErrUnauthenticated)
	})
}

// memologTemplate is memolog's own import template with a row that gives
// 姓 and 名 but no readings.
const memologTemplate = "姓 (必須入力),名 (必須入力),姓カナ,名カナ,電話番号,携帯電話,誕生日,性別,メールアドレス,備考\r\n" +
	"鈴木,一郎,,,03-1111-2222,,,男性,,\r\n" +
	"佐藤,花子,サトウ,,,,,,,\r\n" +
	"佐藤,,サトウ,,,,,,,\r\n" +
	"田中,次郎,,,,,,,,\r\n"

func TestImportSuggestedKana(t *testing.T) {
	t.Parallel()
	suggested := []customer.SuggestedKana{
		{Line: 2, FamilyKana: "スズキ", GivenKana: "イチロウ"},
		{Line: 3, GivenKana: "ハナコ"},
	}
	filled := func(fill bool) []customer.SuggestedKana {
		out := make([]customer.SuggestedKana, len(suggested))
		for i, s := range suggested {
			s.Filled = fill
			out[i] = s
		}
		return out
	}
	tests := []struct {
		name         string
		kanaOptional bool
		suggester    customer.KanaSuggester
		fill         bool
		wantErr      bool
		wantErrors   []customer.RowError
		wantCreated  int
		wantKana     map[string]string // display name → stored reading
	}{
		{
			name: "required, reported only", suggester: fakeSuggester, wantErr: true,
			wantErrors: []customer.RowError{
				{Line: 2, Column: "姓カナ", Field: "family_kana", Code: "required", Name: "鈴木 一郎"},
				{Line: 2, Column: "名カナ", Field: "given_kana", Code: "required", Name: "鈴木 一郎"},
				{Line: 3, Column: "名カナ", Field: "given_kana", Code: "required", Name: "佐藤 花子"},
				{Line: 5, Column: "姓カナ", Field: "family_kana", Code: "required", Name: "田中 次郎"},
				{Line: 5, Column: "名カナ", Field: "given_kana", Code: "required", Name: "田中 次郎"},
			},
		},
		{
			name: "required, filled where suggested", suggester: fakeSuggester, fill: true, wantErr: true,
			wantErrors: []customer.RowError{
				{Line: 5, Column: "姓カナ", Field: "family_kana", Code: "required", Name: "田中 次郎"},
				{Line: 5, Column: "名カナ", Field: "given_kana", Code: "required", Name: "田中 次郎"},
			},
		},
		{
			name: "optional, reported only", kanaOptional: true, suggester: fakeSuggester, wantCreated: 4,
			wantKana: map[string]string{"鈴木 一郎": "", "佐藤 花子": "サトウ", "佐藤": "サトウ", "田中 次郎": ""},
		},
		{
			name: "optional, filled", kanaOptional: true, suggester: fakeSuggester, fill: true, wantCreated: 4,
			wantKana: map[string]string{"鈴木 一郎": "スズキ イチロウ", "佐藤 花子": "サトウ ハナコ", "佐藤": "サトウ", "田中 次郎": ""},
		},
		{
			name: "optional, no suggester", kanaOptional: true, fill: true, wantCreated: 4,
			wantKana: map[string]string{"鈴木 一郎": "", "佐藤 花子": "サトウ", "佐藤": "サトウ", "田中 次郎": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dbtest.Each(t, func(t *testing.T, db *bun.DB) {
				f := setup(t, db)
				require.NoError(t, f.svc.SetTenantSettings(f.admin, customer.TenantSettings{KanaOptional: tt.kanaOptional}))
				svc := withSuggester(t, f, tt.suggester)
				rep, err := svc.Import(f.staff, bytes.NewReader(sjis(t, memologTemplate)), customer.ImportOptions{FillSuggestedKana: tt.fill})
				if tt.wantErr {
					require.ErrorIs(t, err, customer.ErrImportRejected)
				} else {
					require.NoError(t, err)
				}
				if tt.suggester == nil {
					require.Empty(t, rep.Suggested)
				} else {
					require.Equal(t, filled(tt.fill), rep.Suggested)
				}
				require.Equal(t, tt.wantErrors, append([]customer.RowError(nil), rep.Errors...))
				require.Equal(t, tt.wantCreated, rep.Created)
				page, err := svc.Search(f.staff, customer.Query{})
				require.NoError(t, err)
				got := map[string]string{}
				for _, c := range page.Customers {
					got[c.DisplayName()] = c.FamilyKana
					if c.GivenKana != "" {
						got[c.DisplayName()] += " " + c.GivenKana
					}
				}
				if tt.wantKana == nil {
					require.Empty(t, got)
				} else {
					require.Equal(t, tt.wantKana, got)
				}
			})
		})
	}
}

// TestImportSuggestedKanaUpdatesDuplicate checks that a filled suggestion
// reaches an existing customer the row updates, and only where it lacks a
// reading.
func TestImportSuggestedKanaUpdatesDuplicate(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		require.NoError(t, f.svc.SetTenantSettings(f.admin, customer.TenantSettings{KanaOptional: true}))
		svc := withSuggester(t, f, fakeSuggester)
		c, err := svc.Create(f.staff, customer.Profile{FamilyName: "鈴木", GivenName: "一郎", GivenKana: "イチロ", Phone: "03-1111-2222"})
		require.NoError(t, err)
		rep, err := svc.Import(f.staff, bytes.NewReader(sjis(t, memologTemplate)),
			customer.ImportOptions{FillSuggestedKana: true, OnDuplicate: customer.UpdateDuplicates})
		require.NoError(t, err)
		require.Equal(t, 1, rep.Updated)
		got, err := svc.Get(f.staff, c.ID)
		require.NoError(t, err)
		require.Equal(t, "スズキ", got.FamilyKana)
		require.Equal(t, "イチロ", got.GivenKana, "a stored reading is kept")
	})
}

func TestImportCompanyRowsGetNoSuggestion(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		svc := withSuggester(t, f, fakeSuggester)
		file := "姓,名,会社/個人,会社名\r\n鈴木,一郎,会社,鈴木商店\r\n"
		rep, err := svc.Import(f.staff, bytes.NewReader(sjis(t, file)), customer.ImportOptions{FillSuggestedKana: true})
		require.NoError(t, err)
		require.Equal(t, 1, rep.Created)
		require.Empty(t, rep.Suggested)
	})
}
