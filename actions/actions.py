"""Entry module for ``rasa run actions``: importing it registers every custom action."""
from actions.feedback import ActionHandleFeedback
from actions.human import ActionRequestHuman
from actions.kb_answer import ActionKbAnswer
from actions.report import ActionReportProblem
from actions.retrieval import retriever
from actions.secrets import ActionWarnSecret

__all__ = ["ActionHandleFeedback", "ActionKbAnswer", "ActionReportProblem", "ActionRequestHuman", "ActionWarnSecret"]

# Load the knowledge base at start-up, not on the first customer's message.
retriever()
