"""Next-best-action offline simulation: LinUCB against random and greedy, and decide() latency.

Runs the packaged catalogue (`nba/actions.toml`) in the synthetic world of `nba.simulation`
(visitors, contexts and consents drawn at random; true conversion rates logistic in the
service's own features plus a latent category taste) for `--rounds` rounds. Every policy
sees the same rounds and the same guardrails, and learns from feedback in batches of
`--batch` (as `nba update` would deliver it):

- ``linucb``: the service itself (`NextBestActionService.decide`; personalised LinUCB with
  `--alpha` and the `--epsilon` floor, contextual greedy without personalisation consent);
- ``random``: uniform among the allowed actions;
- ``greedy``: the best mean reward per action so far, no features (each tried once first);
- ``eps_greedy``: the same, 10 % of rounds uniformly random.

Regret is expected regret (the best allowed action's true probability minus the chosen
one's), summed. Then times `decide()` on `--decisions` fresh visits with the learned state,
and profile building plus `decide()` for a heavy visitor (200 aggregates). The last stdout
line is JSON.

    python benchmarks/nba.py --rounds 50000 --seed 7
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script

from benchmarks.machine import machine_info
from benchmarks.timing import time_calls
from customer_graph.settings import Settings
from nba.catalogue import load_catalogue
from nba.features import DIM
from nba.profile import build_profile
from nba.service import NbaConfig, NextBestActionService
from nba.simulation import NOW, MeanPolicy, Ours, Policy, Row, World, simulate


def _args() -> argparse.Namespace:
    defaults = Settings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=200, help="feedback batch size")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--alpha", type=float, default=defaults.nba_alpha)
    parser.add_argument("--epsilon", type=float, default=defaults.nba_epsilon)
    parser.add_argument("--decisions", type=int, default=5000, help="decide() calls timed")
    return parser.parse_args()


def _latency(service: NextBestActionService, world: World, count: int) -> dict[str, Any]:
    visits = [world.visit(10_000_000 + i) for i in range(count)]
    decide = time_calls(
        partial(service.decide, v.profile, v.context, v.consent, NOW) for v in visits
    )
    heavy = [
        Row(f"garden/{n}", ("product_view", "add_to_cart", "purchase")[n % 3], 2, 2.0,
            NOW - n * 3_600_000, NOW - n * 1_800_000)
        for n in range(200)
    ]  # fmt: skip
    context, consent = visits[0].context, visits[0].consent

    def end_to_end() -> object:
        who = build_profile(
            "cus_heavy", heavy, customer_id="cus_heavy", segment_ids=["rfm:champions"],
            category_of=lambda item: item.split("/", 1)[0],
        )  # fmt: skip
        return service.decide(who, context, consent, NOW)

    heavy_timing = time_calls(end_to_end for _ in range(count))
    return {"decide": decide, "profile_200_aggregates_and_decide": heavy_timing}


def main() -> None:
    """Simulate, time, print JSON last."""
    args = _args()
    catalogue = load_catalogue()
    world = World(catalogue, args.seed)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        config = NbaConfig(Path(scratch), alpha=args.alpha, epsilon=args.epsilon)
        service = NextBestActionService(catalogue, config, seed=args.seed)
        n = len(catalogue.actions)
        policies: list[Policy] = [
            Ours(service),
            MeanPolicy("random", n, 1.0, args.seed),
            MeanPolicy("greedy", n, 0.0, args.seed),
            MeanPolicy("eps_greedy", n, 0.1, args.seed),
        ]
        found = simulate(world, policies, args.rounds, args.batch, args.seed)
        simulated = time.perf_counter() - started
        print(f"simulated {args.rounds} rounds in {simulated:.1f} s", file=sys.stderr)
        latency = _latency(service, world, args.decisions)
    regret = {name: round(r["regret"], 2) for name, r in found.items()}
    for name, r in found.items():
        print(f"{name:>11}: regret {r['regret']:9.2f}  reward {r['reward']:7.0f}", file=sys.stderr)
    result = {
        "benchmark": "nba",
        "rounds": args.rounds,
        "batch": args.batch,
        "seed": args.seed,
        "alpha": args.alpha,
        "epsilon": args.epsilon,
        "actions": len(catalogue.actions),
        "features": DIM,
        "regret": regret,
        "reward": {name: r["reward"] for name, r in found.items()},
        "regret_curve": {name: r["curve"] for name, r in found.items()},
        "ratio_vs_random": round(regret["linucb"] / regret["random"], 3),
        "ratio_vs_greedy": round(regret["linucb"] / regret["greedy"], 3),
        "ratio_vs_eps_greedy": round(regret["linucb"] / regret["eps_greedy"], 3),
        **latency,
        "simulation_seconds": round(simulated, 1),
        "machine": machine_info(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
