package api_test

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/schedule"
	"github.com/kirokuhq/kiroku/schedule/api"
)

// notExposed are the exported schedule.Service methods with no route, with
// the reason.
var notExposed = map[string]string{
	"WithDB":    "binds the engine to a transaction: not an operation",
	"WriteFeed": "served by the host at the feed's secret URL without a principal (the token is the credential), not under the API's authentication",
}

// routeOf maps each exported schedule.Service method to the route that
// performs it.
var routeOf = map[string]string{
	"CreateAppointment": "createAppointment", "Appointment": "getAppointment", "UpdateAppointment": "updateAppointment",
	"DeleteAppointment": "deleteAppointment", "RestoreAppointment": "restoreAppointment",
	"CustomerAppointments": "customerAppointments", "CustomerPastAppointments": "customerAppointments",
	"NextAppointments": "nextAppointments", "MadeFromAppointment": "appointmentOfRecord", "Calendar": "calendar",
	"RecordFromAppointment": "recordFromAppointment", "PlanNext": "planNextAppointment", "LinkNext": "linkNextAppointment",
	"CreateRecordWithCustomer": "recordWithCustomer",
	"Feed":                     "getCalendarFeed", "CreateFeed": "createCalendarFeed", "RevokeFeed": "revokeCalendarFeed",
	"CreateRequest": "createRequest", "Requests": "listRequests", "Request": "getRequest",
	"SetRequestStatus": "setRequestStatus", "ReplyToRequest": "replyToRequest",
	"CreateAlert": "createAlert", "Alert": "getAlert", "UpdateAlert": "updateAlert", "DeleteAlert": "deleteAlert",
	"CustomerAlerts": "customerAlerts", "Occurrences": "listAlertOccurrences", "ExportOccurrences": "exportAlertOccurrences",
	"Occurrence": "getAlertOccurrence", "SetDone": "setAlertOccurrenceDone", "SetMemo": "setAlertOccurrenceMemo",
	"CreateNotice": "createNotice", "TopNotices": "topNotices", "ManagedNotices": "managedNotices",
	"UpdateNotice": "updateNotice", "DeleteNotice": "deleteNotice",
}

// TestEveryEngineOperationHasARoute walks the exported methods of
// schedule.Service: each has a route, or is listed in notExposed with the
// reason. A new engine method fails this test until it is served or
// listed.
func TestEveryEngineOperationHasARoute(t *testing.T) {
	t.Parallel()
	ids := map[string]bool{}
	for _, rt := range api.Routes(nil) {
		require.False(t, ids[rt.ID], "operation %s is unique", rt.ID)
		ids[rt.ID] = true
	}
	seen := map[string]bool{}
	for m := range reflect.TypeFor[*schedule.Service]().Methods() {
		seen[m.Name] = true
		if reason, ok := notExposed[m.Name]; ok {
			require.NotEmpty(t, reason, m.Name)
			continue
		}
		id, ok := routeOf[m.Name]
		require.True(t, ok, "%s has no route and is not listed as deliberately not exposed", m.Name)
		require.True(t, ids[id], "%s: route %q is not served", m.Name, id)
	}
	for name := range routeOf {
		require.True(t, seen[name], "%s is no engine method: drop it from the table", name)
	}
	for name := range notExposed {
		require.True(t, seen[name], "%s is no engine method: drop it from the table", name)
	}
}
