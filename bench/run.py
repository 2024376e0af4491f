"""`make bench`: first-response cold start of the built artifact, warm CPU per request, DynamoDB calls,
sweeper reads, gzip members, cost per million.

Prints a table and writes bench/results.json. Timings are medians of several runs, each beside a
baseline measured in the same run (the machine is noisy; compare ratios between runs).
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from bench import cold_start, cost, gzip_members, sweeper, warm

RESULTS = Path(__file__).resolve().parent / "results.json"
MEMORY_MB = 256  # the template's IngestMemorySize default, chosen from the table this prints
# After acceptance, the events stream's consumer (batches of up to 500) writes per batch one
# listing item per project (~50 bytes compressed per record: 0.05 units per record) and one
# transactional group update (2 units) per group: 0.02 units per error when a group repeats in
# batches of 100 or more. Its invocations: $0.20 per million over >=100 records each.
LISTING_WRITE_UNITS_PER_RECORD = 0.05
GROUPING_WRITE_UNITS_PER_ERROR = 2 / 100


def main() -> None:
    cold = cold_start.measure()
    measured = warm.measure()
    swept = sweeper.measure()
    members = gzip_members.measure()
    usage = measured["usage"]
    profiles = {
        name: cost.RequestProfile(
            events_per_request=100 if name == "batch_100" else 1,
            cpu_ms=measured["sdk_cpu_us"][name] / 1000,
            dynamodb_calls=statistics.mean(usage[name].calls),
            write_units=statistics.mean(usage[name].write_units) + _grouping_units(name),
            read_units=statistics.mean(usage[name].read_units),
        )
        for name in usage
    }
    costs = {name: cost.per_million_events(profile, MEMORY_MB) for name, profile in profiles.items()}
    results = {
        "cold_first_response_ms": cold,
        "layer_unpacked_mib": cold_start.layer_size_mib(),
        "warm_cpu_us_per_request": measured["own_cpu_us"],
        "dynamodb_calls": {name: max(usage[name].calls) for name in ("single_event", "check_in", "batch_100")},
        "sweeper_items_read": swept,
        "gzip_members": members,
        "cost_per_million_events_usd": costs["single_event"]["total"],
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    _print(results, measured, usage, costs, profiles)


def _grouping_units(scenario: str) -> float:
    """Per request, the stream consumer's writes: single_event sends one error; batch_100 holds 50."""
    records = 100 if scenario == "batch_100" else 1
    errors = {"single_event": 1, "batch_100": 50}.get(scenario, 0)
    return records * LISTING_WRITE_UNITS_PER_RECORD + errors * GROUPING_WRITE_UNITS_PER_ERROR


def _print(results, measured, usage, costs, profiles) -> None:
    print(
        "Cold start to the first response, sam build artifact, fresh python3.13 -B -I, against moto"
        f" (median of {cold_start.RUNS} paired samples, ms; layer {results['layer_unpacked_mib']} MiB unpacked)"
    )
    print("  floor: import boto3, a client, and the DynamoDB calls the function made, replayed")
    for name, row in results["cold_first_response_ms"].items():
        print(
            f"  {name:<16} {row['first_response_ms']:7.1f}   floor ({row['round_trips']:>2} calls)"
            f" {row['floor_ms']:7.1f}   floor + {row['over_floor_ms']:6.1f}   x{row['ratio']:.2f}  (budget floor + 50)"
        )
    baseline = measured["baseline_cpu_us"]
    print(f"\nWarm CPU per request, AWS stubbed at botocore (median us; a bare JSON handler: {baseline} us)")
    budgets = {"single_event": 1000, "span": 1000, "check_in": 1000, "batch_100": 30000}
    for name, value in measured["own_cpu_us"].items():
        sdk = measured["sdk_cpu_us"][name]
        print(f"  {name:<13} ours {value:9.1f}   with botocore {sdk:9.1f}   budget {budgets[name]}")
    print("\nDynamoDB per request (100 warm requests: max / mean calls, mean write and read units)")
    for name, used in usage.items():
        print(
            f"  {name:<13} calls {max(used.calls)} / {statistics.mean(used.calls):.2f}"
            f"   WRU {statistics.mean(used.write_units):7.2f}   RRU {statistics.mean(used.read_units):6.2f}"
        )
    swept = results["sweeper_items_read"]
    print(f"\nSweeper: {swept['items_read']} items read with {swept['monitors']} monitors, {swept['overdue']} overdue")
    members = results["gzip_members"]
    print(f"\nGzip batch decoding, {members['decompressed_bytes']:,} bytes decompressed (median CPU ms)")
    print(f"  one member {members['one_member_ms']:8.2f}")
    print(f"  {members['members']:,} members {members['many_members_ms']:8.2f}   ratio {members['ratio']:.2f}")
    print(f"  2 MiB of empty members refused at the cap in {members['empty_members_refused_ms']:.2f} ms")
    print(f"\nCost per million events at {MEMORY_MB} MB, arm64 (USD; duration model in bench/cost.py)")
    columns = ["http_api", "lambda_requests", "lambda_duration", "dynamodb_writes", "dynamodb_reads", "total"]
    print("  " + " " * 13 + "".join(f"{column:>17}" for column in columns))
    for name, breakdown in costs.items():
        print(f"  {name:<13}" + "".join(f"{breakdown[column]:17.4f}" for column in columns))
    print("\nsingle_event by memory size (USD per million: total, and duration ms):")
    for memory in (128, 256, 512, 1024):
        total = cost.per_million_events(profiles["single_event"], memory)["total"]
        print(f"  {memory:>5} MB  {total:7.4f}  {cost.duration_ms(profiles['single_event'], memory):5.0f} ms")
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
