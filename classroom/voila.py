# Voila server settings for serving notebooks/panels.ipynb to a class (`python3 dev.py classroom`,
# which passes `--Voila.config_file_paths=<this folder>`; see README "Serving the app to a class").
#
# Four things a class on one server needs that Voila's defaults do not give:
#
# 1. A page's kernel is shut down when the student leaves or reloads it. Voila's front end sends
#    `POST /voila/api/shutdown/<kernel>` with the `_xsrf` value it reads from the page's `_xsrf`
#    cookie, but the Voila page handler never sets that cookie, so the server (rightly) answers
#    403 "'_xsrf' argument missing" and the kernel stays alive (about 0.9 GB each). The identity
#    provider below sets the cookie on every page load; the XSRF check itself stays on.
# 2. A kernel whose page went away without that request (a tab killed or crashed, a browser
#    closed before the request left, a lost network) is shut down PAGE_LEFT_S seconds after its
#    page's last connection closed, at the next cull (every CULL_INTERVAL_S seconds), busy or not:
#    no kernel outlives its page by more than PAGE_LEFT_S + CULL_INTERVAL_S = 60 s. A page that
#    reconnects sooner (a network hiccup) keeps its kernel.
# 3. Kernels that never had a page (a preheated pool kernel waiting for its student) are culled
#    after CULL_IDLE_S seconds without activity (`ddm-explore classroom --cull-idle`).
# 4. JAX's persistent compilation cache is shared by all kernels (JAX_COMPILATION_CACHE_DIR, set
#    by the command), so only the first page of a class pays for the compilations.
#
# `c` is the traitlets config object Voila passes to this file.
# ruff: noqa: F821
import time

from jupyter_core.utils import ensure_async
from jupyter_server.auth.identity import PasswordIdentityProvider
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from traitlets import Integer


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


#: seconds a kernel lives on after its page's last connection closed (when the page's shutdown
#: request never came)
PAGE_LEFT_S = 30
#: seconds between two culls
CULL_INTERVAL_S = 30
#: seconds without activity before a kernel that never had a page is shut down
CULL_IDLE_S = 600


class PageKernelManager(AsyncMappingKernelManager):
    """Jupyter Server's kernel manager, plus: a kernel whose page has gone (its last websocket
    closed and none reopened for ``page_left_timeout`` seconds) is shut down at the next cull,
    busy or not. Kernels that never had a page follow the idle timeout as before."""

    page_left_timeout = Integer(PAGE_LEFT_S, config=True,
                                help="seconds a kernel lives on after its page's last connection closed")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._page_left = {}  # kernel id -> time.monotonic() when its last page connection closed

    def notify_connect(self, kernel_id):
        super().notify_connect(kernel_id)
        self._page_left.pop(kernel_id, None)

    def notify_disconnect(self, kernel_id):
        super().notify_disconnect(kernel_id)
        if self._kernel_connections.get(kernel_id) == 0:
            self._page_left[kernel_id] = time.monotonic()

    async def cull_kernels(self):
        for kernel_id in [k for k in self._page_left if k not in self._kernels]:  # shut down meanwhile
            self._page_left.pop(kernel_id, None)
        await super().cull_kernels()

    async def cull_kernel_if_idle(self, kernel_id):
        left = self._page_left.get(kernel_id)
        gone = left is not None and self._kernel_connections.get(kernel_id, 0) == 0
        if gone and time.monotonic() - left > self.page_left_timeout:
            self.log.warning("Culling kernel %s: its page left %d s ago", kernel_id, time.monotonic() - left)
            self._page_left.pop(kernel_id, None)
            await ensure_async(self.shutdown_kernel(kernel_id))
            return
        await super().cull_kernel_if_idle(kernel_id)


c.Voila.identity_provider_class = XsrfCookieIdentityProvider
c.VoilaConfiguration.multi_kernel_manager_class = PageKernelManager
c.PageKernelManager.page_left_timeout = PAGE_LEFT_S
c.MappingKernelManager.cull_idle_timeout = CULL_IDLE_S
c.MappingKernelManager.cull_interval = CULL_INTERVAL_S
c.MappingKernelManager.cull_connected = False
c.MappingKernelManager.cull_busy = False
