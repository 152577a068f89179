"""The deployment flow's compiler: stages that turn an integer encoder into programs for the
cluster, each with one data structure and a verifier (docs/compiler.md):

graph (:mod:`.graph`) -> lowering (:mod:`.lowering`) -> tiling (:mod:`.tiling`) -> memory plan
(:mod:`.memory`) and schedule (:mod:`.schedule`) -> code generation (:mod:`.codegen`), with the
cost model (:mod:`.cost`) and the functional executor (:mod:`.executor`). :mod:`.flow` runs
them in order."""
