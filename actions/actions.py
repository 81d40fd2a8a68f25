"""Entry module for ``rasa run actions``: importing it registers every custom action."""
from actions.feedback import ActionHandleFeedback
from actions.human import ActionRequestHuman
from actions.kb_answer import ActionKbAnswer
from actions.report import ActionReportProblem
from actions.retrieval import retriever

__all__ = ["ActionHandleFeedback", "ActionKbAnswer", "ActionReportProblem", "ActionRequestHuman"]

# Load the knowledge base at start-up, not on the first customer's message.
retriever()
