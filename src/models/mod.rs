//! Reference models (yardsticks): exact page-granular LRU and OPT caches.
