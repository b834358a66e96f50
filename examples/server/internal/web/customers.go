package web

import "net/http"

func (u *UI) customerRoutes(mux *http.ServeMux) {}
