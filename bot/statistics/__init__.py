"""Anonymous daily statistics for a force's supervisors: what is counted (``counts``), where
(``store``), the counting and its setup (``recorder``), the 30-day report (``report``) and the
desk's statistics page (``charts``, ``page``)."""
