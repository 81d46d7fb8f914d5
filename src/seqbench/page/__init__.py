"""The page kit every section uses: tables, figures and sections (:mod:`.parts`), number
formats (:mod:`.formats`), escaping (:mod:`.safe`), style, colours and inline SVG
(:mod:`.svg`), and the HTML and Markdown renderers (:mod:`.html`, :mod:`.markdown`). It knows
nothing of runs, comparisons or lessons: the report and every lesson build their pages with
it."""
