package web

import "net/http"

func (u *UI) recordRoutes(mux *http.ServeMux) {}
