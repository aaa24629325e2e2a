"""An Ethereum JSON-RPC stand-in that answers with responses recorded from mainnet nodes, as recorded.

Our own anvil chains are not the only shapes the parsers ever see: Erigon's extra `blockTimestamp` on
logs, a receipt with `root` and no `status`, `transferFrom` where the transaction's sender is not the
token payer, and reverted calls all come from here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.sandbox.http import LocalServer


class RecordedEvmRpc(LocalServer):
    def __init__(self, fixtures: Path) -> None:
        self.receipts: dict[str, Any] = {}
        self.logs: list[Any] = []
        self.finalized_block: Any = None
        eth = fixtures / "ethereum"
        for path in eth.glob("*.receipt.*.json"):
            data = json.loads(path.read_text())
            receipt = data["result"] if "jsonrpc" in data else data
            self.receipts[receipt["transactionHash"].lower()] = receipt
        block = json.loads((eth / "eth_getBlockByNumber_18000000_fulltx.response.json").read_text())["result"]
        self.finalized_block = block
        for receipt in json.loads((eth / "eth_getBlockReceipts_18000000.response.json").read_text())["result"]:
            self.receipts.setdefault(receipt["transactionHash"].lower(), receipt)
        bsc = fixtures / "bsc" / "eth_getLogs_BUSD_block_0x1b13c84.response.json"
        self.logs = json.loads(bsc.read_text())["result"]

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/", self._handle)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        method, params = body["method"], body.get("params") or []
        result: Any
        if method == "eth_getTransactionReceipt":
            result = self.receipts.get(str(params[0]).lower())
        elif method == "eth_getBlockByNumber":
            result = self.finalized_block
        elif method == "eth_blockNumber":
            result = self.finalized_block["number"]
        elif method == "eth_getLogs":
            result = self.logs
        elif method == "eth_chainId":
            result = "0x1"
        else:
            return web.json_response(
                {"jsonrpc": "2.0", "id": body.get("id"), "error": {"code": -32601, "message": f"{method} not recorded"}}
            )
        return web.json_response({"jsonrpc": "2.0", "id": body.get("id"), "result": result})
