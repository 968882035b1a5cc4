"""Drives a daemon through the Python client: a turn with an approval and streamed deltas, then
an interrupted turn. The model is scripted by the caller (the vitest test runs the mock model).

Usage: python3 example_turns.py <workspace> -- <server argv...>; prints a JSON summary.
"""

import json
import os
import sys
import threading

from agentd_client import AgentdClient, ServerRequest


def main() -> int:
    workspace = sys.argv[1]
    argv = sys.argv[sys.argv.index("--") + 1 :]
    client = AgentdClient.spawn(argv, env=dict(os.environ), cwd=workspace)
    approvals = []

    def approve(req: ServerRequest):
        approvals.append({"method": req.method, "command": req.params.get("command"), "threadId": req.params["threadId"]})
        return {"decision": "accept"}

    client.on_approval(approve)
    init = client.initialize({"name": "python-example", "version": "1"})
    started = client.request("thread/start", {"cwd": workspace, "approvalPolicy": "untrusted", "sandbox": "workspace-write", "ephemeral": True})
    thread_id = started["thread"]["id"]

    deltas = []
    first = client.run_turn(thread_id, "make a file", on_delta=deltas.append)

    # A turn whose model stream hangs: interrupt it once the first delta arrived.
    turn = client.request("turn/start", {"threadId": thread_id, "input": [{"type": "text", "text": "go on"}]})["turn"]
    client.wait_for("item/agentMessage/delta", lambda p: p["turnId"] == turn["id"])
    threading.Thread(target=client.interrupt, args=(thread_id, turn["id"])).start()
    done = client.wait_for("turn/completed", lambda p: p["turn"]["id"] == turn["id"])

    code = client.close()
    print(
        json.dumps(
            {
                "userAgent": init["userAgent"],
                "threadId": thread_id,
                "approvals": approvals,
                "firstStatus": first["status"],
                "deltas": deltas,
                "interruptedStatus": done["turn"]["status"],
                "exitCode": code,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
