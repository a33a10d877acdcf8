"""HTTP routes, one small module per feature; `api.app.create_app` includes their routers."""
