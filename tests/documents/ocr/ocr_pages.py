"""Short page texts for the OCR tests: few lines, so each page costs OCR a few seconds on 2 cores."""
from __future__ import annotations

TEXT_PAGE = ("青岛海洋科技创新中心建设情况\n一、建设背景\n"
             "为贯彻落实海洋强国战略，青岛市依托驻青高校和科研院所，规划建设青岛海洋科技创新中心。")
SCANNED_PAGE = ("二、建设成效\n截至二〇二三年底，青岛海洋科技创新中心共建成重点实验室47个，"
                "引进高层次人才1200名，孵化海洋科技企业260家。")
ANSWER_PHRASE = "重点实验室47个"
QUESTION = "青岛海洋科技创新中心共建成多少个重点实验室？"
IMAGE_PAGE = "关于推进智慧港口建设的通知\n各港口企业应当于二〇二五年底前完成自动化码头改造，实现集装箱装卸全程无人化。"
IMAGE_PHRASE = "自动化码头改造"
