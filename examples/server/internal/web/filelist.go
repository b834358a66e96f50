package web

import (
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
)

// fileList is the file list of a record's or a customer's page, drawn by
// the "file_list" partial (templates/_files.html): each file linked, with
// its thumbnail, size and labels, and for who may edit a rename form, a
// button per flag and a two-step delete.
type fileList struct {
	// Base is the files' route ("/files/" or "/customer-files/"); Owner
	// names the form field carrying OwnerID, the record or customer the
	// page returns to.
	Base, Owner string
	OwnerID     uuid.UUID
	Files       []fileItem
	CanEdit     bool
	// Renamed is the file of a refused rename, whose name input shows
	// TypedName, what the user typed, again.
	Renamed   uuid.UUID
	TypedName string
}

// fileItem is one file of a fileList.
type fileItem struct {
	ID        uuid.UUID
	Name      string
	HasThumb  bool
	Size      int64
	CreatedAt time.Time
	Version   int64
	// Star is the ☆ label and Badge a further one ("" when none).
	Star, Badge string
	// Flags are the flag fields set now ("important", "shared",
	// "favorite"), sent again with a rename.
	Flags   []string
	Toggles []fileToggle
}

// fileToggle is a button that sets a file's flags to Flags.
type fileToggle struct {
	Label string
	Flags []string
}

// flagsOf returns the names whose flag is set, in order.
func flagsOf(kv ...any) []string {
	var out []string
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1].(bool) {
			out = append(out, kv[i].(string))
		}
	}
	return out
}

// toggled returns flags with flag set if it was not, cleared if it was.
func toggled(flags []string, flag string) []string {
	if slices.Contains(flags, flag) {
		return slices.DeleteFunc(slices.Clone(flags), func(f string) bool { return f == flag })
	}
	return append(slices.Clone(flags), flag)
}

// recordFileList is the list of a record's attachments: ☆重要 for who may
// edit, お客様と共有 for who may also share.
func recordFileList(rec *contactlog.Record, canEdit, canShare bool, renamed uuid.UUID, typed string) fileList {
	l := fileList{Base: "/files/", Owner: "record", OwnerID: rec.ID, CanEdit: canEdit, Renamed: renamed, TypedName: typed}
	for _, a := range rec.Attachments {
		it := fileItem{ID: a.ID, Name: a.Name, HasThumb: a.HasThumb, Size: a.Size, CreatedAt: a.CreatedAt, Version: a.Version,
			Flags: flagsOf("important", a.Important, "shared", a.Shared)}
		star := fileToggle{Label: msg.T("records.star"), Flags: toggled(it.Flags, "important")}
		if a.Important {
			it.Star, star.Label = "☆", msg.T("records.unstar")
		}
		it.Toggles = append(it.Toggles, star)
		if a.Shared {
			it.Badge = msg.T("records.file_shared")
		}
		if canShare {
			share := fileToggle{Label: msg.T("records.share_file"), Flags: toggled(it.Flags, "shared")}
			if a.Shared {
				share.Label = msg.T("records.unshare_file")
			}
			it.Toggles = append(it.Toggles, share)
		}
		l.Files = append(l.Files, it)
	}
	return l
}

// customerFileList is the list of a customer's profile files: an image's
// ☆ makes it the profile picture.
func customerFileList(c *customer.Customer, p customerFilesPanel) fileList {
	l := fileList{Base: "/customer-files/", Owner: "customer", OwnerID: c.ID, CanEdit: p.CanEdit, Renamed: p.Renamed,
		TypedName: p.TypedName}
	for _, f := range p.Files {
		it := fileItem{ID: f.ID, Name: f.Name, HasThumb: f.HasThumb, Size: f.Size, CreatedAt: f.CreatedAt, Version: f.Version,
			Flags: flagsOf("favorite", f.Favorite)}
		if f.Favorite {
			it.Star = "☆ " + msg.T("customers.picture")
		}
		if f.Kind == customer.FileImage {
			pic := fileToggle{Label: msg.T("customers.set_picture"), Flags: toggled(it.Flags, "favorite")}
			if f.Favorite {
				pic.Label = msg.T("customers.unset_picture")
			}
			it.Toggles = append(it.Toggles, pic)
		}
		l.Files = append(l.Files, it)
	}
	return l
}
