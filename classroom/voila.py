# Voila server settings for serving notebooks/panels.ipynb to a class (`python3 dev.py classroom`,
# which passes `--Voila.config_file_paths=<this folder>`; see README "Serving the app to a class").
#
# Three things a class on one server needs that Voila's defaults do not give:
#
# 1. A page's kernel is shut down when the student leaves or reloads it. Voila's front end sends
#    `POST /voila/api/shutdown/<kernel>` with the `_xsrf` value it reads from the page's `_xsrf`
#    cookie, but the Voila page handler never sets that cookie, so the server (rightly) answers
#    403 "'_xsrf' argument missing" and the kernel stays alive (about 0.9 GB each). The identity
#    provider below sets the cookie on every page load; the XSRF check itself stays on.
# 2. Kernels whose page went away without a word (a closed laptop, a lost network) are culled
#    after CULL_IDLE_S seconds without activity and without a connected page.
# 3. JAX's persistent compilation cache is shared by all kernels (DDM_EXPLORE_JAX_CACHE, set by
#    the command), so only the first page of a class pays for the compilations.
#
# `c` is the traitlets config object Voila passes to this file.
# ruff: noqa: F821
from jupyter_server.auth.identity import PasswordIdentityProvider


class XsrfCookieIdentityProvider(PasswordIdentityProvider):
    """Jupyter Server's identity provider, plus: a page load (a plain GET, not a websocket) gets
    the `_xsrf` cookie, which tornado sets when the request first reads its XSRF token."""

    async def _get_user(self, handler):
        user = await super()._get_user(handler)
        request = handler.request
        if user is not None and request.method == "GET" and request.headers.get("Upgrade", "").lower() != "websocket":
            handler.current_user = user  # what the token is bound to (JupyterHandler.prepare sets it next)
            handler.xsrf_token  # noqa: B018 (reading it sets the cookie when missing)
        return user


#: seconds without activity and without a connected page before a kernel is shut down
CULL_IDLE_S = 600
c.Voila.identity_provider_class = XsrfCookieIdentityProvider
c.MappingKernelManager.cull_idle_timeout = CULL_IDLE_S
c.MappingKernelManager.cull_interval = 60
c.MappingKernelManager.cull_connected = False
c.MappingKernelManager.cull_busy = False
