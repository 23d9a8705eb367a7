"""The words the ask detectors look for: weighted patterns over normalised text, per detector
(a person, a manager, legal action, urgency), and each detector's trigger words.

``requests.py`` runs them; the choices behind them are written there. Every pattern of a group
contains one of its group's trigger words, which is what lets the detectors scan only near one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from relaydesk.signals.prefilter import cheapest_first

FIRES_AT = 0.5
DIRECT, REJECTION, CUE = 0.95, 0.8, 0.4


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    # ``regex`` without its leading word boundary, for scanning: re skips ahead to a possible
    # first letter only when the pattern starts with letters, which ``_matches`` then checks.
    scan: re.Pattern[str]
    weight: float
    negatable: bool = True
    # Words just before a match that make it something else ("send the money to someone else").
    unless: re.Pattern[str] | None = None
    # Fires only when the match ends its clause ("anyone available?", not "... to pay a bill").
    ends_clause: bool = False
    # Fires only as a whole short clause ("Agent.", "agent please", not "agent orange"); such a
    # pattern is tried once per short clause, not scanned along the text.
    whole_clause: bool = False
    # Substrings the pattern cannot match without (``prefilter``): a text lacking them is not
    # scanned.
    required: tuple[frozenset[str], ...] = ()


def _p(
    source: str,
    weight: float = DIRECT,
    negatable: bool = True,
    unless: str | None = None,
    ends_clause: bool = False,
    whole_clause: bool = False,
) -> Pattern:
    before = re.compile(r"\b(?:" + unless + r")\W*$") if unless else None
    regex, scan = re.compile(r"\b(?:" + source + r")\b"), re.compile(r"(?:" + source + r")\b")
    return Pattern(regex, scan, weight, negatable, before, ends_clause, whole_clause,
                   cheapest_first(source))  # fmt: skip


_DET = r"(?:(?:a|an|the|your|some|one|one of your|any|a few|somebody|an other)\s+)?"
_MOD = (
    r"(?:(?:real|live|actual|actually|normal|proper|human|physical|living|breathing|genuine|"
    r"other|another|different|non robotic|non bot|non ai|flesh and blood|more|qualified|"
    r"knowledgeable|intelligent|competent|bit|a bit|bank|customer service|support|"
    r"service|company|store|shop|hotel|live chat|chat|customer care|customer support|care|"
    r"call cent(?:er|re)|senior|fucking|fuckin|freaking|frigging|"
    r"effing|damn|damned|goddamn|bloody|stupid|dumb)\s+)*"
)
_PERSON = (
    r"(?:humans?|persons?|people|agents?|someone|somebody|anyone|anybody|representatives?|"
    r"operators?|staff|employees?|workers?|advisors?|advisers?|consultants?|specialists?|"
    r"associates?|assistants?|team members?|colleagues?|human beings?|real ones?|executives?|"
    r"individuals?|man|woman|guy|lady)"
)
_TO = (
    r"(?:(?:me\s+)?(?:up\s+)?(?:directly\s+)?(?:to|with|through to|through with|over to|on to)\s+)"
)
_TALK = r"(?:talk|talking|speak|speaking|chat|chatting|cat|converse|deal|communicate)"
_REACH = (
    r"(?:contact|contacting|reach|reaching|get in touch with|connect|connecting|transfer|"
    r"transferring|forward|switch|escalate|redirect|route|get|getting|give|gimme)"
)
_BOT = r"(?:bots?|robots?|machines?|ai|a\s?i|automated \w+|computers?|virtual \w+|algorithm)"
_DEPT = (
    r"(?:reception|front desk|concierge|spa|gym|restaurant|room service|housekeeping|"
    r"maintenance|billing|sales|accounts|fraud|claims|bar|pool|security|team|department|"
    r"desk|office|branch|bank|cleaners?|staff)"
)
_MANAGER = (
    r"(?:managers?|supervisors?|superiors?|boss|higher ups?|higher authority|team lead(?:er)?|"
    r"(?:someone|somebody|person|anyone) (?:more )?(?:senior|in charge|higher up|with authority)|"
    r"head of \w+|line manager)"
)

# "send the cheque to someone else": money or goods going to a person is no ask to talk.
_MONEY_TO = (
    r"(?:send|sending|transfer|transferring|pay|paying|give|giving|move|sell|forward|ship|"
    r"deliver|lend|gift|wire|assign)(?: \w+){0,4}(?: to)?"
)
# "am i talking to a real person?", "do i need to speak to someone to ...": questions, not asks.
_QUESTION = (
    r"(?:am i|are we|is this|is it|was i|have i been|if i am|if i'm|whether i am|"
    r"do i (?:need|have) to|do you need me to|should i|would i need to|"
    r"are you|if you are|if you're|whether you are|you're|you are|is there|who is|who's)"
    r"(?: (?:really|actually|still|even|currently|now|a|an|real|actual|live|human|talking|"
    r"speaking|chatting|to|with|your))*"
)
_NOT_ASKING = _QUESTION + r"|who|whos|what's|what is|know who|name of|consider|about|am i"
_PLEASE = r"(?:please|now|asap|already|right now|immediately)"

_GREETING = r"(?:(?:hi|hello|hey|ok|yes|yeah|so|just|please|excuse me)\s+)*"
_AGENT = r"(?:agents?|humans?|persons?|representatives?|operators?|executives?)"
# Alone, "person" or "someone" is as likely an answer to the bot ("Person." for a personal
# account) as an ask; "agent", "human", "anyone?" alone are asks.
_BARE = r"(?:agents?|humans?|representatives?|operators?|executives?)"
_AFTER = (
    r"(?:\s+(?:please|now|asap|right now|here|there|available|online|"
    r"to (?:chat|talk|speak)(?: to| with)?))"
)
_CUSTOMER_SERVICE = r"(?:customer|consumer) (?:support|service|care|assistance)"
# About the service rather than an ask for it: "customer care number", "... hours".
_ABOUT = (
    r"(?! (?:number|numbers|no|hours?|phone|email|e mail|mail|address|timings?|times?|contact|"
    r"details|website|site|page|portal|polic(?:y|ies)|bot|that|which|who|is|was|has|have|are))"
)
_HOW = r"(?:how|where|when|what|why|which)(?: \w+){0,4}"

# What a chat widget sees most is a short bare ask. The choices made (see the module docstring):
# a callback is an ask; customer support as the thing wanted is an ask, how or when to reach it
# is a question; "anyone there?" is an ask when the clause ends there.
_WHOLE_CLAUSE_ASKS = "|".join((
    _GREETING + r"(?:(?:an?|the|your)\s+)?(?:(?:live|real|human|chat|actual|customer service|"
    r"customer support|support)\s+)?(?:" + _BARE + "|" + _CUSTOMER_SERVICE
    + r"|talk|speak|anyone|anybody)" + _AFTER + "*",
    _GREETING + r"(?:someone|somebody)" + _AFTER + "+",
    _GREETING + r"(?:contact|connect (?:me )?(?:to|with)) (?:the |your )?(?:customer )?"
    r"(?:support|service|care)(?: team)?(?: please| now)*",
    r"(?:can|could|may) i (?:please )?(?:talk|speak|chat) (?:to|with) (?:you|you guys)"
    r"(?: please| now)?",
    r"(?:please |pls |can you |could you |would you |can (?:someone|somebody|anyone) |"
    r"(?:someone|somebody) )?(?:please )?(?:call|ring|phone) me(?: back| now| asap| please|"
    r" today| urgently| soon| right now)*",
))  # fmt: skip
_SHORT_ASKS: tuple[Pattern, ...] = (
    _p(_WHOLE_CLAUSE_ASKS, whole_clause=True),
    _p(r"(?:need|want|require|request|get me|give me|connect me (?:to|with)) (?:some |a )?"
       r"(?:(?:your|the) )?" + _CUSTOMER_SERVICE + _ABOUT, unless=_QUESTION + "|" + _HOW),
    _p(_AGENT + r" (?:to|who can|that can) (?:chat|talk|speak|answer|reply|respond|assist|help)",
       unless=_QUESTION + r"|(?:ask|asked|asking|tell|told|wait|waited|waiting|for|expect|"
       r"expected|allow|allowed|let|make|made|travel|insurance|estate|booking|sales|secret)"
       r"(?: (?:an?|the|your|my|that|this))?"),
    _p(r"(?:anyone|anybody|someone|somebody|any (?:one|staff|"
       + _AGENT + r")|an? (?:agent|human|person|representative|executive)) (?:real |human )?"
       r"(?:available|there|here|around|online|on the line|awake|alive|home)(?: (?:to|who can|"
       r"that can) (?:help|assist|talk|chat|speak|answer|reply)(?: (?:me|with me|to me|us))?)?"
       r"(?: please| now)?", ends_clause=True),
    _p(r"is there (?:anyone|anybody|someone|somebody|a (?:real )?(?:person|human)|an agent) "
       r"(?:i|we) (?:can|could) (?:talk|speak|chat) (?:to|with)"),
    _p(r"call me (?:now|asap|urgently|immediately|right now|right away|as soon as)|"
       r"(?:need|want|like|request|arrange|schedule|book|have|give me|get) (?:a )?(?:phone )?"
       r"call from (?:your|a|an|the|one of your|some) (?:\w+ )?(?:" + _AGENT + r"|team|staff|"
       r"someone|somebody|people)"),
)  # fmt: skip

HUMAN_PATTERNS: tuple[Pattern, ...] = (
    _p(_TALK + r"\s+" + _TO + _DET + _MOD + _PERSON, unless=_QUESTION),
    _p(_REACH + r"\s+(?:me\s+)?(?:up\s+)?(?:to\s+|with\s+|through to\s+)?" + _DET + _MOD
       + _PERSON, unless=_QUESTION + "|" + _MONEY_TO),
    _p(r"(?:want|need|like|prefer|rather|demand|get|have|let me have)\s+" + _DET + _MOD
       + r"(?:humans?|persons?|agents?|representatives?|operators?|human beings?|executives?)",
       unless=_QUESTION),
    _p(r"(?:real|live|actual|normal|proper|physical|living|breathing|genuine|non robotic)\s+"
       r"(?:humans?|persons?|people|agents?|representatives?|operators?|human beings?|"
       r"real ones?)", unless=_QUESTION + r"|like(?: a| an)?|as if(?: a| an)?|or(?: a| an)?"),
    _p(r"human (?:agents?|representatives?|operators?|support|help|assistance)",
       unless=_QUESTION),
    _p(r"(?:to|with|get|give|want|need|prefer|like|rather|let me|put me|pass me|get me)"
       r"(?: me)?(?: to)? (?:someone|somebody|anyone|anybody) (?:else(?!')|more|in person|"
       r"on the (?:line|phone))", unless=_MONEY_TO),
    _p(r"(?:can|could|would|will|may) (?:someone|somebody|anyone|anybody) else "
       r"(?:please )?(?:help|take|look|check|handle|deal|assist|explain|call|contact)"),
    _p(r"(?:someone|somebody|anyone|anybody) else " + _PLEASE),
    _p(r"(?:to|with|get|give|want|need|reach|contact|try|prefer) (?:me )?(?:to )?(?:your |an? |"
       r"one of your |the )?(?:another|other|different) (?:agents?|persons?|humans?|"
       r"representatives?|operators?)"),
    _p(r"(?:another|other|different) (?:agents?|persons?|humans?|representatives?|operators?) "
       r"please"),
    _p(r"(?:humans?|persons?|agents?|representatives?|operators?|people) " + _PLEASE,
       unless=_QUESTION + r"|\bor(?: \w+){0,2}"),
    _p(r"(?:please|pretty please)\s+(?:a\s+|an\s+)?(?:humans?|persons?|agents?|representatives?|"
       r"operators?)"),
    _p(r"(?:someone|somebody|anyone|a person|a human|an agent)(?: there| here)?"
       r"(?: i can| to| who can| that can)? (?:talk|speak|chat) (?:to|with)", unless=_QUESTION),
    _p(r"(?:someone|somebody|an agent|a person|a human|a representative|agent) "
       r"(?:to )?(?:call|ring|phone) me|call me back|(?:a|want|need|request|schedule|get) "
       r"(?:a )?call ?back"),
    _p(r"(?:put|transfer|connect|pass|switch) me (?:through )?(?:to|with|over to) " + _DET + _MOD
       + r"(?:\w+ )?(?:" + _PERSON + "|" + _DEPT + ")"),
    _p(_TALK + r"\s+(?:directly\s+)?(?:to|with)\s+(?:the|your|some of your|one of your)\s+"
       + r"(?:\w+\s+)?" + _DEPT, unless=_QUESTION),
    _p(r"\w+ (?:team|department|desk) please"),
    _p(r"(?:ask|get|want|need|prefer|rather)(?: \w+){0,4} (?:from|by|via) (?:a|an|one of your) "
       r"(?:real |live |actual |human )?(?:agents?|humans?|persons?|representatives?)"),
    _p(r"(?:stop|quit|done|enough|tired of|sick of|fed up with) (?:talking |chatting |speaking )?"
       r"(?:to |with )?(?:a |this |the |these |you |stupid )?" + _BOT, REJECTION),
    _p(r"(?:not|never|no more|instead of|rather than) (?:talk(?:ing)?|speak(?:ing)?|chat(?:ting)?)"
       r" (?:to|with) (?:a |an |the |this |you |your )?" + _BOT, REJECTION),
    _p(r"(?:don't|do not|dont|won't) (?:want|wish|like) to (?:talk|speak|chat|deal) "
       r"(?:to|with) (?:you|a " + _BOT + r"|this " + _BOT + r"|" + _BOT + ")", REJECTION,
       negatable=False),
    _p(r"(?:not|don't|do not) (?:feel )?comfortable \w+(?: \w+){0,4} (?:with|to) (?:a |an |the )?"
       + _BOT, REJECTION, negatable=False),
    _p(r"(?:this|the|you|your|stupid|dumb|useless) " + _BOT
       + r" (?:is|are|isn't|aren't|is not|are not)(?: \w+)? (?:stupid|dumb|useless|"
       r"helpful|helping|working|getting it|understanding|understand|idiotic|pointless|"
       r"broken|rubbish|garbage|terrible|hopeless)", REJECTION, negatable=False),
    _p(r"(?:this|the) (?:conversation|chat) is(?: \w+)? (?:not|isn't|going nowhere|useless|"
       r"pointless)(?: \w+)? (?:working|going|leading|helping|anywhere|nowhere)?",
       REJECTION, negatable=False),
    *_SHORT_ASKS,
    _p(r"(?:are|is) (?:you|this|it) (?:a |an )?(?:real|" + _BOT + r"|human|person)", CUE,
       negatable=False),
    _p(_TALK + r"\s+" + _TO + r"(?:the |your |a |an )?customer (?:service|support|"
       r"assistance|care)", CUE),
)  # fmt: skip

MANAGER_PATTERNS: tuple[Pattern, ...] = (
    _p(r"(?:" + _TALK + r"|" + _REACH + r"|want|need|see|demand|get|like|have)\s+"
       r"(?:me\s+)?(?:to\s+|with\s+|through to\s+)?(?:a |the |your |this |some |an |one )?"
       + _MANAGER, unless=_NOT_ASKING + r"|do you|does it"),
    _p(r"your (?:managers?|supervisors?|superiors?|boss)(?!')", unless=_NOT_ASKING),
    _p(_MANAGER + r" (?:please|now|asap|immediately|right now|on the line|here)",
       unless=_NOT_ASKING + r"|your|hiring"),
    _p(r"escalat(?:e|ed|ing|ion)(?: \w+){0,3} (?:to|up)|(?:please )?escalate (?:this|it|my)"
       r"|(?:want|need) (?:this|it|my \w+) escalated|escalation"),
)  # fmt: skip

LEGAL_PATTERNS: tuple[Pattern, ...] = (
    _p(r"(?:my|our|a|the|family|contact) (?:lawyers?|attorneys?|solicitors?|legal team|"
       r"legal department|legal counsel)"),
    _p(r"(?:lawyers?|attorneys?|solicitors?) (?:will|would|is|are|shall)"),
    _p(r"(?:legal|court) (?:action|proceedings|case|claim)|lawsuits?|class action|small claims"),
    _p(r"(?:sue|suing|sued)(?: \w+)? (?:you|your|them|the company|this company|for)"
       r"|(?:going|gonna|will|i'll|i will) (?:to )?sue"),
    _p(r"(?:take|taking|see|seeing|drag) (?:you|this|them|your company|the company) "
       r"(?:\w+ )?(?:to )?court|in court"),
    _p(r"(?:report|reporting|complain|complaint) (?:you |this |them )?(?:to )?(?:the )?"
       r"(?:ombudsman|trading standards|better business bureau|bbb|regulator|authorities|police|"
       r"ftc|fca|cfpb|attorney general|consumer protection)"),
    _p(r"ombudsman|trading standards|consumer protection|attorney general|regulator"),
    _p(r"legal (?:advice|rights|counsel)|breach of contract|my rights", CUE),
)  # fmt: skip

URGENCY_PATTERNS: tuple[Pattern, ...] = (
    _p(r"urgent(?:ly)?|asap|emergency|immediately|right now|right away|straight away|"
       r"as soon as (?:possible|you can)|time sensitive|without delay|desperate(?:ly)?"),
    _p(r"(?:need|needs|want|must have|has to|have to|get)(?: \w+){0,3} (?:by |before |for )?"
       r"(?:today|tonight|tomorrow|this morning|this afternoon|this evening|in an hour)"),
    _p(r"(?:today|tonight|now) (?:please|pls)|before (?:it's too late|tomorrow|tonight)"),
    _p(r"today|tonight|tomorrow morning", CUE),
)  # fmt: skip


# Every pattern of a group contains one of its trigger words, so the patterns only run near one
# (and whole-clause ones only when there is one): a long email costs the windows around its
# triggers, not its length times the patterns.
TRIGGERS: dict[str, re.Pattern[str]] = {
    name: re.compile(r"\b(?:" + words + r")")
    for name, words in {
        "human": r"human|person|people|agent|some|any|repre|operat|staff|employ|worker|advis|"
        r"execut|contact|connect|phone|ring|consult|special|associat|assist|team|colleag|individ|man|woman|guy|lady|bot|robot|"
        r"machine|ai|a i|automat|comput|virtual|algorithm|conversation|chat|call|customer|real|"
        r"live|actual|reception|front|concierge|spa|gym|restaurant|room|housekeep|mainten|"
        r"billing|sales|accounts|fraud|claims|bar|pool|secur|depart|desk|office|branch|bank|"
        r"clean|other|another|different|else|talk|speak|convers|communicat|deal|comfortable",
        "manager": r"manag|supervis|superior|boss|higher|team lead|senior|in charge|authority|"
        r"head of|escalat",
        "legal": r"lawyer|attorney|solicitor|legal|court|lawsuit|class action|small claims|sue|"
        r"ombudsman|trading standards|consumer|regulator|attorney|report|complain|breach|rights",
        "urgency": r"urgent|asap|emergency|immediately|right|straight|as soon|time sensitive|"
        r"without delay|desperate|today|tonight|tomorrow|this morning|this afternoon|"
        r"this evening|in an hour|now|before",
    }.items()
}
