"""Local fakes of the messaging platforms the channels talk to."""
