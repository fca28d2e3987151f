"""Developer tooling: the demo council (`manage.py loaddemo`, `make demo`) and the benchmarks
(`manage.py benchmark NAME`).

Why an app of its own: the demo tells its stories through the services of every feature app
(budgets, applications, decisions), and the benchmarks seed and time all of them, so this code
sits above every app. Kept in the project shell it made the kernel package `fundmgr` import
every app; kept in the feature apps it put bulk loaders beside the services they bypass. Here
it depends on everything and nothing depends on it: production code never imports `devtools`.
The benchmarks may write rows in bulk, but only here and only into their own throwaway
database; the demo writes what a council's history would hold through the real services.
"""
