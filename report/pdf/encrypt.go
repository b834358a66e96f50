package pdf

import (
	"crypto/rand"
	"encoding/hex"
	"io"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// encrypt writes the PDF read from src to w encrypted with AES-256 (PDF 2.0,
// revision 6): password opens it, with printing and copying allowed. The
// owner password is random and forgotten, so nobody can lift the
// permissions.
//
// The configuration is built here rather than by model.NewAESConfiguration,
// which reads (and on first use writes) a configuration directory under the
// user's home and exits the process when it cannot. Optimization is off:
// pdfcpu would rewrite the fonts' objects, and the encryption needs none of
// it, so the generator's ToUnicode maps reach the reader unchanged.
func encrypt(src io.ReadSeeker, w io.Writer, password string) error {
	owner := make([]byte, 32)
	if _, err := rand.Read(owner); err != nil {
		return err
	}
	conf := &model.Configuration{
		Cmd:               model.ENCRYPT,
		Reader15:          true,
		ValidationMode:    model.ValidationRelaxed,
		Eol:               types.EolLF,
		WriteObjectStream: true,
		WriteXRefStream:   true,
		EncryptUsingAES:   true,
		EncryptKeyLength:  256,
		Permissions:       model.PermissionsAll,
		UserPW:            password,
		OwnerPW:           hex.EncodeToString(owner),
		TimestampFormat:   "2006-01-02 15:04",
		DateFormat:        "2006-01-02",
	}
	return api.Encrypt(src, w, conf)
}
