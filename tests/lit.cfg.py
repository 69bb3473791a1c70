# lit configuration: golden-IR tests of each pass (tests/ir) and driver tests
# (tests/driver), run against the build tree's attnc and attnc-opt.
import os

import lit.formats

config.name = "attnc"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attnc_obj_root, "tests")
config.excludes = ["data", "unit", "numeric", "torch", "Inputs", "lit.cfg.py"]

path = os.pathsep.join([config.attnc_tools_dir, config.llvm_tools_dir,
                        config.environment.get("PATH", os.environ["PATH"])])
config.environment["PATH"] = path
config.substitutions.append(("%python", config.python))
config.substitutions.append(("%examples", os.path.join(config.attnc_src_root, "examples")))
config.substitutions.append(("%testdata", os.path.join(config.attnc_src_root, "tests", "data")))
