"""Entry module for ``rasa run actions``: importing it registers every custom action."""
from actions.feedback import ActionHandleFeedback
from actions.greet import ActionGreet
from actions.handoff import ActionFinishReport, outbox_worker
from actions.human import ActionRequestHuman
from actions.kb_answer import ActionKbAnswer
from actions.privacy_request import ActionPrivacyRequest
from actions.report import ActionReportProblem
from actions.report_form import ASK_ACTIONS, ValidateProblemReportForm
from actions.retrieval import retriever
from actions.secrets import ActionWarnSecret
from bot.incidents.hook import start_alert_delivery

__all__ = ["ASK_ACTIONS", "ActionFinishReport", "ActionGreet", "ActionHandleFeedback", "ActionKbAnswer",
           "ActionPrivacyRequest", "ActionReportProblem", "ActionRequestHuman", "ActionWarnSecret",
           "ValidateProblemReportForm"]

# Load the knowledge base and start delivering queued agent notifications at start-up,
# not on the first customer's message.
retriever()
outbox_worker()
start_alert_delivery()
