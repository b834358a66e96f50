package web

import "net/http"

func (u *UI) managerRoutes(mux *http.ServeMux) {}
