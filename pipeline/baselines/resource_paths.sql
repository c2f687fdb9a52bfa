-- The distinct activity resource paths of one day ($day), for the catalog's path_sensitivity.
SELECT resource_path, count(*) AS events
FROM activity
WHERE date = $day AND resource_path IS NOT NULL
GROUP BY resource_path
