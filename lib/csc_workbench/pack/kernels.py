"""The pack's batch kernels: one warm kernel per worker thread, reused page after page.

Light to import (the Jupyter machinery is imported when a kernel starts), so ``cscw run`` can
start its first kernel before it imports anything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

KERNEL = "python3"
#: The folder, in the pack's output folder, where the kernels keep their charts' drawings.
DRAWINGS = ".drawings"
#: Attempts to start a kernel (the first and two retries).
KERNEL_ATTEMPTS = 3


#: Run once in each batch kernel before its first page: a kept read connection to the store and
#: charts displayed without re-validating their spec (see the two functions), and the pages'
#: libraries imported once. ``%reset -f`` between pages clears the names, not this state. As
#: these kernels validate no chart against its schema, jsonschema (imported by Altair) is kept
#: from loading its optional IRI grammar (rfc3987-syntax): building it took a second of every
#: kernel's start, more than half of it.
WARM_UP = """\
import sys

sys.modules["rfc3987_syntax"] = None  # importing it now raises ImportError: jsonschema goes without
from csc_workbench.pack.render import skip_spec_validation
from csc_workbench.store.atoms import reuse_read_connections

reuse_read_connections(True)
skip_spec_validation()
import csc_workbench.present.area_page, csc_workbench.present.exceptions, csc_workbench.assess.scorecard
"""


class WarmKernels:
    """One kernel per worker thread, started on the thread's first page and reused for the next;
    ``release`` (at the end of a pack) frees them for the threads of the next pack, so a process
    building pack after pack (a region's worker) keeps its kernels warm.

    Between pages the kernel's namespace is cleared with ``%reset -f``, so a page sees only its
    own parameters and cells; imported modules stay loaded, which is the point. ``get`` starts
    (or replaces a dead) kernel with up to ``attempts`` tries; ``discard`` drops the
    calling thread's kernel after a failure that may have left it unusable; ``stop`` (on Ctrl-C)
    shuts every kernel down and starts no other, so the pages still running end at once.

    Kernels start one at a time, so on a machine of few cores the first is ready soonest and the
    first page is not kept waiting while every worker's kernel starts at once; ``prestart`` starts
    one before any page is known, for the first thread that asks. With ``drawings``, the kernels
    keep their charts' drawings in that folder and take those drawn before from it
    (:func:`~csc_workbench.pack.render.keep_drawings`)."""

    def __init__(self, kernel: str = KERNEL, drawings: Path | None = None):
        self.kernel, self.attempts = kernel, KERNEL_ATTEMPTS
        self.warm_up = WARM_UP
        if drawings is not None:
            folder = str(Path(drawings).resolve())
            self.warm_up += f"from csc_workbench.pack.render import keep_drawings\nkeep_drawings({folder!r})\n"
        self._bound: dict[int, Any] = {}  # thread -> its kernel
        self._idle: list = []  # kernels released by the threads of an earlier pack
        self._started: list = []
        self._lock = threading.Lock()
        self._starting = threading.Lock()
        self._stopped = threading.Event()
        self._spare: Future | None = None
        #: the kernels' own folder: their working directory and their IPC sockets
        self._folder = tempfile.TemporaryDirectory(prefix="cscw-kernels-")

    def __enter__(self) -> WarmKernels:
        return self

    def __exit__(self, kind, error, trace) -> None:
        """Shut every kernel down (having stopped them at once if an error or Ctrl-C ended the block)."""
        if error is not None:
            self.stop()
        self.shutdown_all()

    def prestart(self) -> None:
        """Start a kernel now, in a thread of its own, for the first thread that asks for one
        (nothing if one was started so already, or one is free)."""
        if self._spare is not None or self._idle:
            return
        spare: Future = Future()
        self._spare = spare

        def start() -> None:
            try:
                spare.set_result(self._start_one())
            except BaseException as exc:  # the thread taking it starts another
                spare.set_exception(exc)

        threading.Thread(target=start, name="cscw-kernel-prestart", daemon=True).start()

    def _start_one(self):
        from jupyter_core.utils import run_sync

        with self._starting:
            if self._stopped.is_set():
                raise RuntimeError("the pack was stopped")
            return run_sync(self._start)()

    def _take_spare(self):
        """The kernel ``prestart`` started (waiting for it), or None when there is none to take."""
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is None:
            return None
        try:
            return spare.result()
        except Exception:  # it did not start: the caller starts its own
            return None

    def get(self, spare: bool = False):
        """(kernel manager, attempts it took to start it) for the calling thread; with ``spare``,
        a thread without a kernel takes the one ``prestart`` started (the first page's)."""
        from jupyter_core.utils import run_sync

        if self._stopped.is_set():
            raise RuntimeError("the pack was stopped")
        thread = threading.get_ident()
        with self._lock:
            km = self._bound.get(thread) or (self._idle.pop() if self._idle else None)
            if km is not None:
                self._bound[thread] = km
        if km is not None and run_sync(km.is_alive)():
            try:
                run_sync(self._reset)(km)
                return km, 1
            except Exception:  # a wedged kernel: replace it below
                pass
        self.discard()
        km = self._take_spare() if spare else None
        if km is not None:
            self._bound[thread] = km
            return km, 1
        error: BaseException | None = None
        for attempt in range(1, self.attempts + 1):
            if self._stopped.is_set():
                raise RuntimeError("the pack was stopped")
            try:
                km = self._start_one()
            except Exception as exc:  # retried; the last error is raised
                error = exc
                continue
            self._bound[thread] = km
            return km, attempt
        raise RuntimeError(f"kernel {self.kernel!r} did not start after {self.attempts} attempts: {error}")

    async def _start(self):
        from jupyter_client.manager import AsyncKernelManager

        # IPC sockets in a private folder, not TCP on localhost: nothing else on the machine can
        # talk to the batch kernels (and ipykernel has no plain-text TCP warning to print).
        km = AsyncKernelManager(kernel_name=self.kernel, transport="ipc")
        with self._lock:
            self._started.append(km)
            km.ip = str(Path(self._folder.name) / f"kernel-{len(self._started)}")
        await km.start_kernel(cwd=self._folder.name)
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            reply = await self._execute(km, kc, self.warm_up, timeout=120)
        finally:
            kc.stop_channels()
        if reply["content"]["status"] != "ok":
            from csc_workbench.config.errors import WorkbenchError

            content = reply["content"]
            raise WorkbenchError(f"the batch kernel's warm-up failed: {content.get('ename')}: {content.get('evalue')}")
        return km

    async def _reset(self, km) -> None:
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            await self._execute(km, kc, "%reset -f", timeout=60)
        finally:
            kc.stop_channels()

    async def _execute(self, km, kc, code: str, timeout: float) -> dict:
        """Run ``code`` in the kernel and return its reply; RuntimeError as soon as the kernel dies
        or the pack is stopped (instead of waiting out ``timeout``)."""
        task = asyncio.ensure_future(
            kc.execute_interactive(code, store_history=False, output_hook=lambda _: None, timeout=timeout)
        )
        while not task.done():
            await asyncio.wait({task}, timeout=0.5)
            if not task.done() and (self._stopped.is_set() or not await km.is_alive()):
                task.cancel()
                raise RuntimeError(f"kernel {self.kernel!r} stopped")
        return task.result()

    def discard(self) -> None:
        """Shut down the calling thread's kernel, if it has one."""
        from jupyter_core.utils import run_sync

        with self._lock:
            km = self._bound.pop(threading.get_ident(), None)
        if km is not None:
            with contextlib.suppress(Exception):  # already gone
                run_sync(km.shutdown_kernel)(now=True)

    def release(self) -> None:
        """Free every thread's kernel for the threads that ask next (the pack's threads are done)."""
        with self._lock:
            self._idle.extend(self._bound.values())
            self._bound.clear()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def stop(self) -> None:
        """Start no more kernels and shut down those running (the pages in them fail at once)."""
        self._stopped.set()
        self._shutdown()

    def shutdown_all(self) -> None:
        """Shut down every kernel started (from the thread that built the pack)."""
        self._shutdown()
        self._folder.cleanup()

    def _shutdown(self) -> None:
        from jupyter_core.utils import run_sync

        spare = self._spare  # a kernel still starting is shut down once started, not left behind
        if spare is not None:
            with contextlib.suppress(Exception):
                spare.result(timeout=120)
        with self._lock:
            started = list(self._started)

        async def shut(km) -> None:
            with contextlib.suppress(Exception):  # a kernel already gone is fine
                if await km.is_alive():
                    await km.shutdown_kernel(now=True)

        async def shut_all() -> None:  # all at once: each waits for its process to end
            await asyncio.gather(*(shut(km) for km in started))

        run_sync(shut_all)()
