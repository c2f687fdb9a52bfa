-- Daily volume statistics per identity over the look-back window, strictly before aa_day,
-- over the days the identity was active.
CREATE OR REPLACE TEMP TABLE history_volume AS
SELECT
    identity_id,
    count(*) AS days_active,
    min(day) AS first_day,
    max(day) AS last_day,
    avg(events) AS events_mean,
    coalesce(stddev_samp(events), 0) AS events_std,
    quantile_cont(events, 0.5) AS events_p50,
    quantile_cont(events, 0.95) AS events_p95,
    max(events) AS events_max,
    avg(requests) AS requests_mean,
    coalesce(stddev_samp(requests), 0) AS requests_std,
    quantile_cont(requests, 0.95) AS requests_p95,
    max(requests) AS requests_max,
    avg(distinct_resources) AS resources_mean,
    coalesce(stddev_samp(distinct_resources), 0) AS resources_std,
    quantile_cont(distinct_resources, 0.5) AS resources_p50,
    quantile_cont(distinct_resources, 0.95) AS resources_p95,
    max(distinct_resources) AS resources_max,
    avg(bytes) AS bytes_mean,
    coalesce(stddev_samp(bytes), 0) AS bytes_std,
    quantile_cont(bytes, 0.5) AS bytes_p50,
    quantile_cont(bytes, 0.95) AS bytes_p95,
    max(bytes) AS bytes_max,
    avg(sensitive_events) AS sensitive_mean,
    coalesce(stddev_samp(sensitive_events), 0) AS sensitive_std,
    quantile_cont(sensitive_events, 0.5) AS sensitive_p50,
    quantile_cont(sensitive_events, 0.95) AS sensitive_p95,
    max(sensitive_events) AS sensitive_max,
    avg(failed_signins + failed_requests) AS failures_mean,
    coalesce(stddev_samp(failed_signins + failed_requests), 0) AS failures_std,
    quantile_cont(failed_signins + failed_requests, 0.5) AS failures_p50,
    quantile_cont(failed_signins + failed_requests, 0.95) AS failures_p95,
    max(failed_signins + failed_requests) AS failures_max,
    avg(night_events) AS night_mean,
    avg(active_hours) AS active_hours_mean
FROM identity_day
WHERE date < getvariable('aa_day')
  AND date >= getvariable('aa_day') - CAST(getvariable('aa_lookback') AS INTEGER)
  AND identity_id IS NOT NULL
GROUP BY identity_id
