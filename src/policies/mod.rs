//! Policy plug-ins (read-ahead, write clustering, sync thresholds); filled by later issues.
