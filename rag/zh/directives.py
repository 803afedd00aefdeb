"""Directives: how a Chinese (or English) text gives orders to its reader instead of stating facts.

A question may carry an order to the assistant, and a document a sentence planted to steer it; both
are recognised by the same facts of wording, kept here.
"""

from __future__ import annotations

import re

# A sentence is an instruction when it addresses the assistant: tells it to forget its rules, dictates
# the reply, changes its role, or asks it to make things up. Words such as 指令, 系统 or 忽略 alone are
# not enough: "指令长", "信息系统" and "不能忽略臭气" are ordinary words in documents and questions.
INSTRUCTION = re.compile(
    r"(?i)\bignore (all|any|the|previous|above|your)|disregard|\binstructions?\b|"
    r"just (reply|answer|say)|only (reply|answer|say)|"
    r"respond with|system prompt|"
    r"(忽略|无视|忘记|忘掉|不要理会|不必理会)(掉)?(上述|之前|以上|前面|所有|全部|你的|系统|规则|指令|提示|要求|资料)|"
    r"(管理员|系统)(指令|提示|消息|通知)?[:：】]|【系统|系统指令|系统提示|提示词|你现在是|(请|你)(来)?扮演|扮演(一个|一名|一位|成)|从现在起|"
    r"(输出|回复|只回答|直接回答|回答|说)[“\"「][^”\"」]{1,20}[”\"」](?!的|开头|格式)|"
    r"(必须|务必)(给出|回答|输出|说)|(禁止|不要|不得|不许)(出现|说出|提及)|"
    r"(自己)?(编一个|编造|捏造|瞎编)|(资料|文档)(里|中)?的?(数字|内容)?不可信|只用英文|用英文回答"
)
# Sentences inside a document that address the assistant rather than state a fact.
PASSAGE_ORDER = re.compile(
    r"(?i)(忽略|无视|忘记|不要理会)(上述|之前|以上|前面|所有|全部)|ignore (all|any|the|previous|above)|disregard|"
    r"system prompt|系统提示|提示词|你现在是|新的指令|请(直接|只)?(回答|回复|输出)[:：]"
)
