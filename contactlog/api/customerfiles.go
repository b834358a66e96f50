package api

import (
	"io"
	"net/http"

	"github.com/kirokuhq/kiroku/customer"
)

// CustomerFileList lists a customer's profile files.
type CustomerFileList struct {
	Files []customer.File `json:"files"`
}

// CustomerFilePatch renames a profile file or sets its ☆; absent fields
// keep their value.
type CustomerFilePatch struct {
	Name     *string `json:"name,omitempty"`
	Favorite *bool   `json:"favorite,omitempty"`
}

// CustomerFileForm documents the multipart upload of profile files: the
// text part "favorite" applies to the file parts after it; every part with
// a file name is one file.
type CustomerFileForm struct {
	Favorite bool   `json:"favorite,omitempty"`
	Files    []byte `json:"files" format:"binary"`
}

func (s *Server) listCustomerFiles(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	fs, err := s.opts.Customers.Files().List(r.Context(), id)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, CustomerFileList{Files: fs})
}

// uploadCustomerFiles hands each file of the multipart body to the engine
// as it arrives (readUpload). Files before a refused one stay stored.
func (s *Server) uploadCustomerFiles(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var favorite bool
	out := []customer.File{}
	err = readUpload(w, r, func(name string, v bool) {
		if name == "favorite" {
			favorite = v
		}
	}, func(name string, body io.Reader) error {
		fs, err := s.opts.Customers.Files().Add(r.Context(), id,
			customer.FileUpload{FileMeta: customer.FileMeta{Name: name, Favorite: favorite}, Body: body})
		out = append(out, fs...)
		return err
	})
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusCreated, CustomerFileList{Files: out})
}

func (s *Server) customerFile(r *http.Request) (*customer.File, error) {
	id, err := PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return s.opts.Customers.Files().Get(r.Context(), id)
}

func (s *Server) getCustomerFile(w http.ResponseWriter, r *http.Request) error {
	f, err := s.customerFile(r)
	if err != nil {
		return err
	}
	return WriteVersioned(w, http.StatusOK, f.Version, f)
}

// downloadCustomerFile streams the file (or, with thumb=1, its thumbnail).
func (s *Server) downloadCustomerFile(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	thumb, err := thumbParam(r)
	if err != nil {
		return err
	}
	rc, f, err := s.opts.Customers.Files().Open(r.Context(), id, thumb)
	if err != nil {
		return err
	}
	defer rc.Close()
	SetCustomerFileHeaders(w.Header(), f, thumb, false)
	w.Header().Set("ETag", etag(f.Version))
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, rc); err != nil {
		s.opts.Logger.Warn("api: download cut short", "customer_file", f.ID, "err", err)
	}
	return nil
}

func (s *Server) patchCustomerFile(w http.ResponseWriter, r *http.Request) error {
	version, err := IfMatch(r)
	if err != nil {
		return err
	}
	var in CustomerFilePatch
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	f, err := s.customerFile(r)
	if err != nil {
		return err
	}
	m := f.FileMeta
	if in.Name != nil {
		m.Name = *in.Name
	}
	if in.Favorite != nil {
		m.Favorite = *in.Favorite
	}
	f, err = s.opts.Customers.Files().Update(r.Context(), f.ID, version, m)
	if err != nil {
		return err
	}
	return WriteVersioned(w, http.StatusOK, f.Version, f)
}

func (s *Server) deleteCustomerFile(w http.ResponseWriter, r *http.Request) error {
	return deleteVersioned(w, r, s.opts.Customers.Files().Delete)
}
