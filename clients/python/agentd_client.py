"""A client of the agentd / Codex app-server v2 protocol using only the Python standard library.

Spawns a server (``agentd app-server`` or any compatible command) and speaks JSON-RPC 2.0 with
it over stdio, one JSON object per line. Requests block until answered; notifications are
queued and read with :meth:`AgentdClient.notifications` or :meth:`AgentdClient.wait_for`;
approvals (server -> client requests) are answered by a callback.

    client = AgentdClient.spawn(["agentd", "app-server"])
    client.initialize()
    thread = client.request("thread/start", {"cwd": "/my/project"})["thread"]
    turn = client.run_turn(thread["id"], "hello", on_delta=print)
    client.close()

The TypedDicts below mirror the wire types of the same name in ``schema/`` (a test checks them).
"""


import itertools
import json
import queue
import subprocess
import threading
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Literal, Optional, TypedDict, Union

try:  # Python 3.11+
    from typing import NotRequired
except ImportError:  # pragma: no cover - older Pythons read NotRequired keys as required
    from typing_extensions import NotRequired  # type: ignore

__all__ = [
    "AgentdClient",
    "RpcError",
    "Notification",
    "ServerRequest",
    "ClientInfo",
    "InitializeResponse",
    "Thread",
    "ThreadStartResponse",
    "Turn",
    "TurnError",
    "TurnStartResponse",
    "TurnInterruptParams",
    "TurnCompletedNotification",
    "AgentMessageDeltaNotification",
    "ItemCompletedNotification",
    "CommandExecutionRequestApprovalParams",
    "CommandExecutionRequestApprovalResponse",
    "FileChangeRequestApprovalParams",
    "FileChangeRequestApprovalResponse",
]

JsonObject = Dict[str, Any]


class ClientInfo(TypedDict):
    name: str
    version: str
    title: NotRequired[Optional[str]]


class InitializeResponse(TypedDict):
    userAgent: str
    codexHome: str
    platformFamily: str
    platformOs: str


class Thread(TypedDict):
    id: str
    sessionId: str
    preview: str
    ephemeral: bool
    modelProvider: str
    createdAt: int
    updatedAt: int
    status: JsonObject
    cwd: str
    cliVersion: str
    source: Any
    projectId: Optional[str]
    turns: List["Turn"]
    name: NotRequired[Optional[str]]
    path: NotRequired[Optional[str]]
    model: NotRequired[Optional[str]]


class ThreadStartResponse(TypedDict):
    thread: Thread
    model: str
    modelProvider: str
    cwd: str
    approvalPolicy: Any
    approvalsReviewer: str
    sandbox: JsonObject
    reasoningEffort: NotRequired[Optional[str]]


class TurnError(TypedDict):
    message: str
    codexErrorInfo: NotRequired[Any]
    additionalDetails: NotRequired[Optional[str]]


class Turn(TypedDict):
    id: str
    items: List[JsonObject]
    status: Literal["completed", "interrupted", "failed", "inProgress"]
    error: NotRequired[Optional[TurnError]]
    startedAt: NotRequired[Optional[int]]
    completedAt: NotRequired[Optional[int]]
    durationMs: NotRequired[Optional[int]]


class TurnStartResponse(TypedDict):
    turn: Turn


class TurnInterruptParams(TypedDict):
    threadId: str
    turnId: str


class TurnCompletedNotification(TypedDict):
    threadId: str
    turn: Turn


class AgentMessageDeltaNotification(TypedDict):
    threadId: str
    turnId: str
    itemId: str
    delta: str


class ItemCompletedNotification(TypedDict):
    threadId: str
    turnId: str
    item: JsonObject
    completedAtMs: int


class CommandExecutionRequestApprovalParams(TypedDict):
    threadId: str
    turnId: str
    itemId: str
    startedAtMs: int
    approvalId: NotRequired[Optional[str]]
    command: NotRequired[Optional[str]]
    cwd: NotRequired[Optional[str]]
    reason: NotRequired[Optional[str]]
    commandActions: NotRequired[Optional[List[JsonObject]]]
    availableDecisions: NotRequired[Optional[List[Any]]]
    proposedExecpolicyAmendment: NotRequired[Optional[List[str]]]


CommandDecision = Union[Literal["accept", "acceptForSession", "decline", "cancel"], JsonObject]


class CommandExecutionRequestApprovalResponse(TypedDict):
    decision: CommandDecision


class FileChangeRequestApprovalParams(TypedDict):
    threadId: str
    turnId: str
    itemId: str
    startedAtMs: int
    reason: NotRequired[Optional[str]]
    grantRoot: NotRequired[Optional[str]]


class FileChangeRequestApprovalResponse(TypedDict):
    decision: Literal["accept", "acceptForSession", "decline", "cancel"]


@dataclass(frozen=True)
class Notification:
    method: str
    params: JsonObject


@dataclass(frozen=True)
class ServerRequest:
    id: Union[int, str]
    method: str
    params: JsonObject


class RpcError(Exception):
    """An error answer to a request."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{message} ({code})")
        self.code = code
        self.message = message
        self.data = data

    @property
    def app_code(self) -> Optional[str]:
        return self.data.get("code") if isinstance(self.data, dict) else None


class ConnectionClosed(Exception):
    """The server went away."""


ApprovalHandler = Callable[[ServerRequest], JsonObject]

_CLOSED = object()


class AgentdClient:
    """One stdio connection to an app-server process."""

    def __init__(self, proc: "subprocess.Popen[bytes]") -> None:
        self.proc = proc
        self._ids = itertools.count(1)
        self._write_lock = threading.Lock()
        self._pending: Dict[Union[int, str], "queue.Queue[Any]"] = {}
        self._pending_lock = threading.Lock()
        self._notifications: "queue.Queue[Any]" = queue.Queue()
        self._approval_handler: Optional[ApprovalHandler] = None
        self._closed = False
        self._reader = threading.Thread(target=self._read_loop, name="agentd-client-reader", daemon=True)
        self._reader.start()

    @classmethod
    def spawn(cls, argv: List[str], env: Optional[Dict[str, str]] = None, cwd: Optional[str] = None) -> "AgentdClient":
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
        return cls(proc)

    # -- requests ---------------------------------------------------------------------------

    def initialize(self, client_info: Optional[ClientInfo] = None, capabilities: Optional[JsonObject] = None) -> InitializeResponse:
        info: ClientInfo = client_info or {"name": "agentd-python", "version": "0"}
        result: InitializeResponse = self.request("initialize", {"clientInfo": info, "capabilities": capabilities})
        self.notify("initialized")
        return result

    def request(self, method: str, params: Optional[JsonObject] = None, timeout: Optional[float] = 60.0) -> Any:
        """Sends a request and blocks until its answer; raises RpcError on an error answer."""
        rid = next(self._ids)
        answer: "queue.Queue[Any]" = queue.Queue(maxsize=1)
        with self._pending_lock:
            if self._closed:
                raise ConnectionClosed("the server is gone")
            self._pending[rid] = answer
        msg: JsonObject = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            msg["params"] = params
        self._send(msg)
        try:
            got = answer.get(timeout=timeout)
        except queue.Empty:
            with self._pending_lock:
                self._pending.pop(rid, None)
            raise TimeoutError(f"no answer to {method} within {timeout} s") from None
        if got is _CLOSED:
            raise ConnectionClosed(f"the server went away before answering {method}")
        if "error" in got:
            e = got["error"]
            raise RpcError(e.get("code", 0), e.get("message", ""), e.get("data"))
        return got.get("result")

    def notify(self, method: str, params: Optional[JsonObject] = None) -> None:
        msg: JsonObject = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self._send(msg)

    def on_approval(self, handler: Optional[ApprovalHandler]) -> None:
        """Answers approvals (called on the reader thread). Without a handler they are declined."""
        self._approval_handler = handler

    # -- notifications ----------------------------------------------------------------------

    def notifications(self, timeout: Optional[float] = 60.0) -> Iterator[Notification]:
        """Yields notifications as they arrive; stops when the server goes away."""
        while True:
            try:
                n = self._notifications.get(timeout=timeout)
            except queue.Empty:
                raise TimeoutError(f"no notification within {timeout} s") from None
            if n is _CLOSED:
                return
            yield n

    def wait_for(self, method: str, pred: Callable[[JsonObject], bool] = lambda p: True, timeout: Optional[float] = 60.0) -> JsonObject:
        """Returns the params of the next notification ``method`` matching ``pred`` (others are dropped)."""
        for n in self.notifications(timeout):
            if n.method == method and pred(n.params):
                return n.params
        raise ConnectionClosed(f"the server went away while waiting for {method}")

    def run_turn(
        self,
        thread_id: str,
        text: str,
        on_delta: Optional[Callable[[str], None]] = None,
        on_notification: Optional[Callable[[Notification], None]] = None,
        timeout: Optional[float] = 60.0,
    ) -> Turn:
        """Starts a turn with one text input and reads its notifications until it completes."""
        started: TurnStartResponse = self.request("turn/start", {"threadId": thread_id, "input": [{"type": "text", "text": text}]})
        turn_id = started["turn"]["id"]
        for n in self.notifications(timeout):
            if n.params.get("threadId") != thread_id:
                continue
            if on_notification:
                on_notification(n)
            if n.method == "item/agentMessage/delta" and on_delta:
                on_delta(n.params["delta"])
            if n.method == "turn/completed" and n.params["turn"]["id"] == turn_id:
                done: TurnCompletedNotification = n.params  # type: ignore[assignment]
                return done["turn"]
        raise ConnectionClosed("the server went away during the turn")

    def interrupt(self, thread_id: str, turn_id: str) -> None:
        params: TurnInterruptParams = {"threadId": thread_id, "turnId": turn_id}
        self.request("turn/interrupt", params)  # type: ignore[arg-type]

    # -- shutdown ---------------------------------------------------------------------------

    def close(self, timeout: float = 10.0) -> int:
        """Closes stdin (the server's cue to exit) and waits; kills the server after ``timeout``."""
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    # -- internals --------------------------------------------------------------------------

    def _send(self, msg: JsonObject) -> None:
        data = (json.dumps(msg) + "\n").encode("utf-8")
        with self._write_lock:
            assert self.proc.stdin is not None
            try:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            except (BrokenPipeError, ValueError) as err:
                raise ConnectionClosed("the server is gone") from err

    def _read_loop(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.strip()
            if not line:
                continue
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if not isinstance(msg, dict):
                continue
            self._dispatch(msg)
        with self._pending_lock:
            self._closed = True
            waiting = list(self._pending.values())
            self._pending.clear()
        for q in waiting:
            q.put(_CLOSED)
        self._notifications.put(_CLOSED)

    def _dispatch(self, msg: JsonObject) -> None:
        has_id = msg.get("id") is not None
        method = msg.get("method")
        if method is None:
            if has_id:
                with self._pending_lock:
                    q = self._pending.pop(msg["id"], None)
                if q is not None:
                    q.put(msg)
            return
        params = msg.get("params") or {}
        if has_id:
            req = ServerRequest(msg["id"], method, params)
            try:
                result = self._approval_handler(req) if self._approval_handler else {"decision": "decline"}
                self._send({"jsonrpc": "2.0", "id": req.id, "result": result})
            except Exception as err:  # the handler failed: tell the server
                self._send({"jsonrpc": "2.0", "id": req.id, "error": {"code": -32603, "message": str(err)}})
            return
        self._notifications.put(Notification(method, params))
