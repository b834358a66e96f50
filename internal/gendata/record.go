package gendata

import (
	"math"
	"slices"
	"strings"
	"time"
)

// Record is one contact record (接触記録): a meeting memo, sales meeting,
// inquiry, complaint or daily report.
type Record struct {
	// Tenant is the tenant index.
	Tenant int
	// Index is the record index within the tenant.
	Index int
	// CustomerIndex is the customer the record is about, -1 for drafts.
	// The choice is skewed: a few customers have many records.
	CustomerIndex int
	// AuthorIndex is the staff index of the author; usually one of the
	// customer's assignees.
	AuthorIndex int
	// Template is the template the record was written with.
	Template TemplateKey
	// Draft marks an unfinished record (about 3%); drafts have no customer,
	// are visible to their author only and are never shared.
	Draft bool
	// PlannedAt is the appointment time, zero when the contact was not
	// planned (walk-ins, inbound calls).
	PlannedAt time.Time
	// ActualAt is when the contact took place, zero for planned-only
	// records (about 8%), whose PlannedAt lies after the base time.
	ActualAt time.Time
	// CreatedAt is when the record was entered; never after the base time.
	CreatedAt time.Time
	// Channel is how the contact took place.
	Channel Channel
	// Result is a short outcome such as 見積書を提出, empty for drafts and
	// planned-only records.
	Result string
	// Progress is the sales stage after the contact.
	Progress Progress
	// PublicMemo is the memo shared within the visibility scope: one to
	// four sentences.
	PublicMemo string
	// PrivateMemo is the author's own note: empty for about 40% of
	// records, otherwise one to four sentences.
	PrivateMemo string
	// WorkMinutes is the numeric field of the record: time spent, 15–180
	// in steps of 5.
	WorkMinutes int
	// Amount is the money amount in yen (proposals, quotes, contracts and
	// some sales meetings), 0 when the record has none.
	Amount int64
	// Important is the important flag (about 5%, more often on claims).
	Important bool
	// SharedWithCustomer marks records shared with the customer (about 20%
	// of non-draft records).
	SharedWithCustomer bool
	// Visibility is the read scope.
	Visibility Visibility
}

// recordTemplates is indexed like templateWeights and the per-template
// tables below.
var (
	recordTemplates = [...]TemplateKey{TemplateInterview, TemplateSales, TemplateInquiry, TemplateClaim, TemplateDaily}
	templateWeights = newWeights(30, 25, 15, 5, 25)

	allChannels = [...]Channel{ChannelVisit, ChannelStore, ChannelPhone, ChannelEmail, ChannelOnline}
	// channelWeights[template] over allChannels.
	channelWeights = [...]weights{
		newWeights(50, 25, 10, 0, 15),
		newWeights(45, 20, 10, 5, 20),
		newWeights(0, 20, 50, 25, 5),
		newWeights(25, 20, 40, 15, 0),
		newWeights(70, 10, 10, 0, 10),
	}

	allProgress = [...]Progress{ProgressFirstContact, ProgressProposing, ProgressQuoted, ProgressWon, ProgressLost, ProgressFollowUp}
	// progressWeights[template] over allProgress.
	progressWeights = [...]weights{
		newWeights(15, 25, 10, 5, 5, 40),
		newWeights(10, 30, 25, 15, 10, 10),
		newWeights(60, 10, 5, 0, 0, 25),
		newWeights(0, 10, 0, 0, 5, 85),
		newWeights(10, 30, 15, 10, 5, 30),
	}

	// memoFirst[template] is the topic of a memo's first sentence and
	// memoPool[template] the topics of the others.
	memoFirst = [...]topic{topicMeeting, topicSales, topicInquiry, topicClaim, topicDaily}
	memoPool  = [...][]topic{
		{topicMeeting, topicNextVisit, topicHealth, topicFamily, topicChat},
		{topicSales, topicQuote, topicNextVisit, topicChat},
		{topicInquiry, topicNextVisit},
		{topicClaim, topicNextVisit},
		{topicDaily, topicSales, topicNextVisit},
	}
	planPool    = []topic{topicPlan, topicNextVisit}
	privatePool = []topic{topicHealth, topicFamily, topicInternal}

	publicCount  = newWeights(30, 35, 25, 10) // 1–4 sentences
	privateCount = newWeights(45, 35, 15, 5)  // 1–4 sentences

	// results[progress] are the outcomes of a contact in that stage.
	results = [...][]string{
		{"ご挨拶と会社案内を実施", "資料送付のお約束", "ニーズのヒアリングを実施", "名刺交換のみ"},
		{"提案内容に前向きな反応", "比較検討中とのこと", "社内で検討するとのご回答", "追加資料のご依頼あり"},
		{"見積書を提出", "見積内容の再検討を依頼された", "見積の説明を実施"},
		{"ご契約いただいた", "受注確定", "追加注文をいただいた"},
		{"他社に決定とのこと", "予算の都合で見送り", "計画自体が中止"},
		{"近況確認のみ", "お礼の連絡", "次回日程を調整", "ご要望を伺った"},
	}
	// followUpVisit are the follow-up outcomes specific to visits.
	followUpVisit = []string{"定期訪問を実施", "不在のため名刺を投函", "近況確認のみ", "次回訪問日を調整"}
)

// Record returns contact record i of tenant t. The result depends only on
// the configuration, t and i.
func (g *Generator) Record(t, i int) Record {
	ts := g.tenant(t)
	checkIndex("record", i, ts.info.Size.Records)
	var r rng
	r.seed(ts.keys[kindRecord], i)
	rec := Record{Tenant: t, Index: i, CustomerIndex: -1}

	rec.Draft = r.chance(0.03)
	future := !rec.Draft && r.chance(0.08)
	tk := templateWeights.choose(&r)
	rec.Template = recordTemplates[tk]
	rec.Channel = allChannels[channelWeights[tk].choose(&r)]
	rec.Progress = allProgress[progressWeights[tk].choose(&r)]
	pk := int(progressIndex(rec.Progress))

	// Customer, author and the earliest possible contact time.
	base := g.cfg.Base
	lo := base.Add(-30 * 24 * time.Hour)
	if rec.Draft {
		rec.AuthorIndex = pick(&r, ts.assignable)
	} else {
		ci := g.pickCustomer(ts, &r)
		rec.CustomerIndex = ci
		lo = g.customerCreatedAt(ts, ci)
		a, na := g.customerAssignees(ts, ci)
		if r.chance(0.75) {
			rec.AuthorIndex = a[r.intn(na)]
		} else {
			rec.AuthorIndex = pick(&r, ts.assignable)
		}
	}

	// Times.
	planned := rec.Channel == ChannelVisit || rec.Channel == ChannelOnline
	switch {
	case future:
		planned = true
	case planned:
		planned = r.chance(0.9)
	case rec.Channel == ChannelStore:
		planned = r.chance(0.3)
	default:
		planned = r.chance(0.15)
	}
	if future {
		day := midnight(base).Add(time.Duration(r.between(1, 60)) * 24 * time.Hour)
		rec.PlannedAt = day.Add(time.Duration(9*60+15*r.intn(39)) * time.Minute)
		created := base.Add(-time.Duration(r.intn(20*24*60)) * time.Minute)
		rec.CreatedAt = maxTime(created, lo)
	} else {
		span := base.Sub(lo)
		day := midnight(lo.Add(time.Duration(r.float() * float64(span))))
		if day.Weekday() == time.Sunday && r.chance(0.8) {
			if prev := day.Add(-24 * time.Hour); !prev.Before(midnight(lo)) {
				day = prev
			} else {
				day = day.Add(24 * time.Hour)
			}
		}
		var actual time.Time
		if planned {
			rec.PlannedAt = day.Add(time.Duration(9*60+15*r.intn(39)) * time.Minute)
			actual = rec.PlannedAt.Add(time.Duration(r.between(-10, 20)) * time.Minute)
		} else {
			actual = day.Add(time.Duration(9*60+r.intn(10*60)) * time.Minute)
		}
		actual = clampTime(actual, lo, base.Add(-time.Minute))
		if planned && (rec.PlannedAt.After(actual.Add(20*time.Minute)) || rec.PlannedAt.Before(lo)) {
			rec.PlannedAt = maxTime(actual.Add(-time.Duration(r.between(0, 10))*time.Minute), lo)
		}
		rec.ActualAt = actual
		var delay time.Duration
		if r.chance(0.7) {
			delay = time.Duration(r.between(5, 180)) * time.Minute
		} else {
			delay = time.Duration(r.between(60, 48*60)) * time.Minute
		}
		rec.CreatedAt = minTime(actual.Add(delay), base)
	}

	// Numbers.
	switch rec.Channel {
	case ChannelPhone, ChannelEmail:
		rec.WorkMinutes = 5 * r.between(3, 9)
	case ChannelVisit:
		rec.WorkMinutes = 5 * r.between(6, 36)
	default:
		rec.WorkMinutes = 5 * r.between(3, 24)
	}
	switch rec.Progress {
	case ProgressProposing, ProgressQuoted, ProgressWon:
		rec.Amount = yenAmount(&r)
	default:
		if rec.Template == TemplateSales && r.chance(0.5) {
			rec.Amount = yenAmount(&r)
		}
	}
	if rec.Template == TemplateClaim {
		rec.Important = r.chance(0.3)
	} else {
		rec.Important = r.chance(0.04)
	}
	rec.SharedWithCustomer = !rec.Draft && r.chance(0.2)
	if !rec.Draft && !future {
		if rec.Progress == ProgressFollowUp && rec.Channel == ChannelVisit {
			rec.Result = pick(&r, followUpVisit)
		} else {
			rec.Result = pick(&r, results[pk])
		}
	}

	// Memos.
	ctx := memoCtx{product: pick(&r, products), amount: rec.Amount}
	var b strings.Builder
	n := publicCount.choose(&r) + 1
	if future {
		writeSentences(&r, &b, n, []topic{topicPlan}, planPool, &ctx)
	} else {
		seq := []topic{memoFirst[tk]}
		switch rec.Progress {
		case ProgressQuoted:
			seq = append(seq, topicQuote)
		case ProgressWon:
			seq = append(seq, topicWon)
		case ProgressLost:
			seq = append(seq, topicLost)
		}
		writeSentences(&r, &b, n, seq, memoPool[tk], &ctx)
	}
	rec.PublicMemo = b.String()
	if r.chance(0.6) {
		b.Reset()
		writeSentences(&r, &b, privateCount.choose(&r)+1, nil, privatePool, &ctx)
		rec.PrivateMemo = b.String()
	}

	rec.Visibility = g.recordVisibility(ts, &r, rec.AuthorIndex, rec.Draft)
	return rec
}

// progressIndex returns the position of p in allProgress.
func progressIndex(p Progress) int {
	for k, q := range allProgress {
		if q == p {
			return k
		}
	}
	return len(allProgress) - 1
}

// recordVisibility draws the read scope: drafts are visible to their
// author only; otherwise about 80% company, 8% the author's org unit, 7% one
// of the author's groups and 5% a list of users.
func (g *Generator) recordVisibility(ts *tenantState, r *rng, author int, draft bool) Visibility {
	v := Visibility{Scope: VisibleCompany, OrgUnit: -1, Group: -1}
	if draft {
		v.Scope, v.Users = VisibleUsers, []int{author}
		return v
	}
	x := r.intn(100)
	switch {
	case x < 80:
	case x < 88:
		v.Scope, v.OrgUnit = VisibleOrgUnit, ts.staff[author].OrgUnit
	case x < 95:
		if gs := ts.staff[author].Groups; len(gs) > 0 {
			v.Scope, v.Group = VisibleGroup, pick(r, gs)
		}
	default:
		v.Scope, v.Users = VisibleUsers, []int{author}
		for k := r.between(1, 2); k > 0 && len(v.Users) < len(ts.staff); k-- {
			for {
				u := r.intn(len(ts.staff))
				if !slices.Contains(v.Users, u) {
					v.Users = append(v.Users, u)
					break
				}
			}
		}
	}
	return v
}

// pickCustomer draws the customer of a record. 60% of draws are uniform;
// the rest follow a 1/(rank+c) law (a continuous Zipf with offset c ≈ √n/3),
// which gives the top customers of the big tenant several hundred records
// each. Ranks are mapped to customer indexes through a fixed per-tenant
// permutation so that heavy customers are spread over the index range.
func (g *Generator) pickCustomer(ts *tenantState, r *rng) int {
	n := ts.info.Size.Customers
	var rank int
	if r.chance(0.6) {
		rank = r.intn(n)
	} else {
		rank = min(int(ts.zipfC*math.Exp(r.float()*ts.zipfLog)-ts.zipfC), n-1)
	}
	return int((uint64(rank)*ts.permA + ts.permB) % uint64(n))
}

// yenAmount draws an amount between 10 000 and about 5 000 000 yen,
// log-uniformly, rounded to 1 000 yen.
func yenAmount(r *rng) int64 {
	v := math.Pow(10, 4+r.float()*2.7)
	return int64(v/1000) * 1000
}

// midnight returns the start of t's day in t's location.
func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// clampTime limits t to [lo, hi]; lo wins if the range is empty.
func clampTime(t, lo, hi time.Time) time.Time {
	return maxTime(minTime(t, hi), lo)
}

// minTime returns the earlier of a and b.
func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// maxTime returns the later of a and b.
func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
