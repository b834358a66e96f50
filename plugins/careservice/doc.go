// Package careservice is Kiroku's first-party plugin for 訪問介護 (home-visit
// care under the Japanese long-term care insurance, 介護保険): a helper
// (訪問介護員, ホームヘルパー) visits a user (利用者, the Kiroku customer) and
// records each visit in a サービス提供記録 (service record). The plugin's
// binary is cmd/kiroku-plugin-careservice; Opts are its serve options.
//
// # Contributions (manifest "careservice")
//
// Template careservice:visit, サービス提供記録, with the fields:
//
//	key           type      label           rule
//	service_type  select    サービス種別    required; 身体介護, 生活援助 or 通院等乗降介助
//	start         datetime  開始日時        required
//	end           datetime  終了日時        required; after start, at most 24 hours later
//	rides         integer   乗降回数        1–2; required for 通院等乗降介助 only, refused otherwise
//	temperature   number    体温 (°C)       34–42
//	bp_upper      integer   血圧(上) mmHg   50–300
//	bp_lower      integer   血圧(下) mmHg   20–200; below bp_upper
//	pulse         integer   脈拍 (回/分)    20–250
//	notes         longtext  記録・特記事項
//	units         integer   単位数          computed (see Units); users do not enter it
//
// The service types: 身体介護 is physical care (bathing, toileting, meals),
// 生活援助 is household support (cleaning, laundry, cooking), 通院等乗降介助
// is helping the user into and out of a vehicle for a hospital visit,
// counted per one-way ride (片道). The template aggregates the month's
// units (sum of units) and visits (count).
//
// Customer field careservice:care_level, 要介護度 (the certified care
// level): 要支援1, 要支援2 (support needed, light) and 要介護1 … 要介護5 (care
// needed, from light to heavy).
//
// # Units (単位数)
//
// Care is billed in units (単位), not yen. Units computes a visit's units
// from its service type and its duration in whole minutes with UnitTable,
// shaped like the 介護報酬 fee schedule: duration bands per service type, an
// extension step for long physical care, and a per-ride count for
// 通院等乗降介助. The numbers are this plugin's own simplified table, NOT
// the official rates; an operator who needs other numbers edits UnitTable
// (and MonthlyLimits) and rebuilds the plugin. Its current values:
//
//	身体介護        under 20 min 160; 20–29 min 240; 30–59 min 390; 60–89 min 570;
//	                then +80 for each full 30 minutes from 60 minutes
//	                (90–119 min 650, 120–149 min 730, …)
//	生活援助        20–44 min 180; 45 min and more 220; under 20 min not allowed
//	通院等乗降介助  100 per ride (片道), whatever the duration
//
// # Monthly limit (区分支給限度基準額)
//
// Insurance covers a user's units up to a monthly limit that depends on
// the care level (区分支給限度基準額); beyond it the user pays in full.
// MonthlyLimits is the plugin's own table in units per calendar month (Japan
// time), again not the official figures:
//
//	要支援1 5,000   要支援2 10,500
//	要介護1 16,700  要介護2 19,700  要介護3 27,000  要介護4 30,900  要介護5 36,200
//
// # Validation
//
// Beyond what the template itself enforces (types, required fields,
// bounds), the validator reports, with Kiroku's codes:
//
//   - fields.start / fields.end, required: the time is missing;
//   - fields.end, out_of_range: not after start or more than 24 hours
//     after it (Param "<start>..<start+24h>", RFC 3339);
//   - fields.bp_lower, out_of_range: not below the upper pressure (Param
//     "..<upper-1>");
//   - fields.service_type, unknown: not one of the service types;
//   - fields.service_type, not_allowed: the duration is below the
//     service's shortest band (Param: that minimum in minutes);
//   - fields.rides, required or not_allowed: rides given without
//     通院等乗降介助, or missing with it.
//
// # Notifications
//
// On record.created and record.updated of a visit, the plugin sums the
// customer's units of the month (Event.MonthRecords: the stored units, or
// the units recomputed from the values when a record has none) and, when
// the sum reaches 90% or 100% of the monthly limit for the customer's care
// level, notifies the customer's assignees (担当者) in Japanese. The
// notification's Key names the customer, the month and the threshold, so
// each threshold is announced once a month however often events repeat;
// only the highest threshold reached is announced. A customer without a
// care level, or without assignees, is not notified.
package careservice
