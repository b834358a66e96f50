package web

import "net/http"

func (u *UI) csvRoutes(mux *http.ServeMux) {}
