"""The web views, by what they serve: pages, panels (htmx partials), controls
(the sandbox clock) and history (replay). Views read and change cluster state
only through the API server, the sandbox services that call it, or the
selectors in sandbox/selectors.py; they never touch the store tables."""
