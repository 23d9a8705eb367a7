"""The demo shop's routine questions with the article that answers each, and questions its
help centre does not cover. Written by hand for the done-when of the knowledge issue: the AI
must cite the right article for the first and decline the second."""

from __future__ import annotations

ROUTINE = [
    ("How do I reset my password?", "kb-reset-password"),
    ("reset link expired before i clicked it lol. what now", "kb-reset-password"),
    ("I never got the password reset email", "kb-reset-password"),
    ("Can I return shoes I bought on clearance?", "kb-returns-policy"),
    ("How long do I have to send something back?", "kb-returns-policy"),
    ("how do i start a return", "kb-returns-policy"),
    ("When will I get my refund for my return?", "kb-refund-timing"),
    ("how long does shipping take to canada and how much is it", "kb-shipping-times-costs"),
    ("Do you ship to Australia?", "kb-shipping-times-costs"),
    ("Is shipping free if I spend over a certain amount?", "kb-shipping-times-costs"),
    ("Where can I see the status of my order?", "kb-order-status-tracking"),
    ("tracking hasnt updated in days is that normal??", "kb-order-status-tracking"),
    ("The app says delivered but my parcel isn't here", "kb-order-status-tracking"),
    ("Can I cancel my order before it ships?", "kb-change-or-cancel-order"),
    ("i ordered a size 9 but need a 9.5, can i swap them", "kb-size-exchanges"),
    ("Does the Racer Lite run small?", "kb-sizing-fit-guide"),
    ("Do you make shoes for wide feet?", "kb-sizing-fit-guide"),
    ("What's included in Stride Pro and how much does it cost?", "kb-stride-pro"),
    ("How do I cancel my Pro membership?", "kb-stride-pro"),
    ("Can I get an invoice for my last order?", "kb-billing-payments"),
    ("my card keeps getting declined at checkout", "kb-billing-payments"),
    ("I see two charges on my statement for one order, one says pending", "kb-billing-payments"),
    ("How do I change the email address on my account?", "kb-change-email"),
    (
        "The sole is coming away after 2 months, is that covered by the warranty?",
        "kb-warranty-faulty-shoes",
    ),
]

UNCOVERED = [
    "Do you sell tennis rackets?",
    "What is the name of your CEO?",
    "Can you recommend a marathon training plan for beginners?",
    "Do you have a physical store in Berlin I can visit?",
    "Are you hiring warehouse staff?",
    "What's the weather going to be like for my race on Sunday?",
    "Do you offer a student discount?",
    "Do your shoes contain any animal products? I'm vegan.",
]
