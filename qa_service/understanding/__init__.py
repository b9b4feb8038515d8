"""What the question asks and what the passages say: read by the retrievers, the reranker and the answerers.

query.py analyses a request's question once into a Query (tokens, weighted terms, asked kinds, entities, the
vector); question_types.py and sentence_splitter.py give the kinds of content asked for and held, and the
sentences of a passage; sentence_evidence.py scores a passage's quotes against the Query; entity_grounding.py
checks that the passages mention what the question names. Nothing here imports a stage of the chain.
"""
