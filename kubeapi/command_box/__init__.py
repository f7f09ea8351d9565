"""The page's command box: kubectl commands typed on the page, parsed with kubectl's
grammar (grammar.py) and answered by the sandbox's API server as real kubectl's are
(commands.py), with kubectl's output."""
