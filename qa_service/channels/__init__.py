"""Chat-tool channels: WeCom, DingTalk and Feishu/Lark bots as faces of the same service as the HTTP API.

    hub.py        what they share: message ids taken (dedup.py), answering threads (sender.py), the outbound
                  client and tokens (outbound.py), each chat's recent turns; answers rendered by rendering.py
    wecom.py      /channels/wecom     (crypto in wecom_crypto.py)
    dingtalk.py   /channels/dingtalk
    feishu.py     /channels/feishu

A channel is on only when all of its secrets are set (settings "Chat-tool channels"); otherwise its path is 404.
Its requests are authenticated by the platform's signature instead of an API key (qa_service/api/access.py).
"""
from __future__ import annotations

from flask import Blueprint

from qa_service.channels import dingtalk, feishu, wecom
from qa_service.channels.hub import ChannelHub

PREFIX = "/channels/"
_BLUEPRINTS = {"wecom": wecom.blueprint, "dingtalk": dingtalk.blueprint, "feishu": feishu.blueprint}


def blueprints(hub: ChannelHub) -> list[Blueprint]:
    """The blueprints of the channels whose secrets are set."""
    return [build(hub) for name, build in _BLUEPRINTS.items() if hub.settings.channels_on[name]]
