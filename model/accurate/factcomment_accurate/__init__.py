"""factcomment's shipped accurate model: the files beside this module; load it with
``factcomment.load_model("accurate")``."""
