package web

import "net/http"

func (u *UI) adminRoutes(mux *http.ServeMux) {}
