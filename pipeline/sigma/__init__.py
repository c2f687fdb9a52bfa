"""Sigma rules on the lake (issue 17): SigmaHQ's Azure audit-log and sign-in rules, or your own.

``views`` holds the ``sigma_auditlogs`` / ``sigma_signinlogs`` views (the columns the rules name),
``fields`` the processing pipeline that maps both field spellings onto them, ``rules`` reads rule
files, ``translate`` (with ``render``) turns a rule into a DuckDB query with its values bound,
``check`` says which rules run and why not, ``detector`` makes each rule a detector of the nightly
run (``[sigma] rules``) and ``runner`` runs rules once (``agentaudit sigma run``).
"""
